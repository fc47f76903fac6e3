import { newId } from '../lib/ids.js';
import { generatePassword, hashPassword } from '../security/passwords.js';
import type { Store, UserRow } from '../store/store.js';

export class UserExistsError extends Error {}
export class UserInputError extends Error {}

function checkCredentials(email: string, password: string): void {
  if (!/^[^\s@]+@[^\s@]+$/.test(email) || email.length > 1024) throw new UserInputError(`"${email}" is not an email address.`);
  if (password.length < 8 || password.length > 2048) throw new UserInputError('The password must be 8 to 2048 characters long.');
}

/** Users are created by the CLI and on first start; the API only logs them in. */
export class UserService {
  /** `onPasswordChanged` lets this process's token checks hear of a new password at once (other processes within their cache time). */
  constructor(
    private readonly store: Store,
    private readonly onPasswordChanged: (userId: string) => void = () => {},
  ) {}

  async create(email: string, password: string): Promise<UserRow> {
    checkCredentials(email, password);
    if (await this.store.users.findByEmail(email)) throw new UserExistsError(`A user with the email ${email} already exists.`);
    const now = new Date();
    const row: UserRow = { id: newId(now.getTime()), email, passwordHash: await hashPassword(password), creationDate: now.toISOString(), lastUpdated: now.toISOString() };
    // Another process (a cluster node starting beside this one, the CLI) may have made it since the check above.
    if (!(await this.store.users.insert(row))) throw new UserExistsError(`A user with the email ${email} already exists.`);
    return row;
  }

  async setPassword(email: string, password: string): Promise<void> {
    checkCredentials(email, password);
    const user = await this.store.users.findByEmail(email);
    if (!user) throw new UserInputError(`There is no user with the email ${email}.`);
    await this.store.users.updatePassword(user.id, await hashPassword(password), new Date().toISOString());
    this.onPasswordChanged(user.id);
  }

  /**
   * On first start with no user: create one from the configured email and
   * password, or generate a password and return it so it can be shown once.
   */
  async ensureAdmin(email: string | undefined, password: string | undefined): Promise<{ email: string; generatedPassword?: string } | undefined> {
    if ((await this.store.users.count()) > 0) return undefined;
    const adminEmail = email ?? 'admin@tributary.local';
    const adminPassword = password ?? generatePassword();
    try {
      await this.create(adminEmail, adminPassword);
    } catch (err) {
      // Nodes of a cluster starting together on a new database: one of them made the first user.
      if (err instanceof UserExistsError) return undefined;
      throw err;
    }
    return password === undefined ? { email: adminEmail, generatedPassword: adminPassword } : { email: adminEmail };
  }
}
