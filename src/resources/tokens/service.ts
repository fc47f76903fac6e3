import type { Principal } from '../../auth/principal.js';
import type { AuthService } from '../../auth/service.js';
import { ForbiddenError, NotFoundError, ValidationError } from '../../errors.js';
import type { DomainEvents } from '../../events.js';
import { newId } from '../../lib/ids.js';
import type { ListQuery, Page, Store, TokenRow, TokenSortField } from '../../store/store.js';
import { covers } from '../../security/scopes.js';
import type { TokenInput } from './schemas.js';

const DEFAULT_SCOPE = ['all.Application'];

export class TokenService {
  constructor(
    private readonly store: Store,
    private readonly auth: AuthService,
    private readonly events: DomainEvents,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Creates a token; the token string is returned here and never again. */
  async create(applicationId: string, creator: Principal, input: TokenInput): Promise<{ row: TokenRow; token: string }> {
    const at = this.now();
    let expirationDate: string | null = null;
    if (input.expirationDate !== undefined) {
      const expires = Date.parse(input.expirationDate);
      // ajv's date-time admits a leap second (…:60), which Date cannot represent.
      if (Number.isNaN(expires)) throw new ValidationError('expirationDate is not a date this server can represent');
      if (expires <= at.getTime()) throw new ValidationError('expirationDate must be in the future');
      expirationDate = new Date(expires).toISOString();
    }
    const scope = input.scope ?? DEFAULT_SCOPE;
    // A caller may only hand out what it holds itself, so a narrow token cannot mint a wider one.
    const missing = scope.filter((s) => !covers(creator.scopes, s));
    if (missing.length > 0) throw new ForbiddenError(`A token cannot grant scopes it does not hold: ${missing.join(', ')}`);
    const creatorName = creator.kind === 'user' ? ((await this.store.users.findById(creator.userId))?.email ?? null) : null;
    const row: TokenRow = {
      id: newId(at.getTime()),
      applicationId,
      name: input.name!,
      description: input.description ?? null,
      scope,
      status: input.status ?? 'active',
      expirationDate,
      creatorId: creator.kind === 'user' ? creator.userId : creator.tokenId,
      creatorType: creator.kind === 'user' ? 'user' : 'apiToken',
      creatorName,
      creationDate: at.toISOString(),
      lastUpdated: at.toISOString(),
    };
    await this.store.tokens.insert(row);
    return { row, token: this.auth.signApplicationToken(row) };
  }

  async get(applicationId: string, id: string): Promise<TokenRow> {
    const row = await this.store.tokens.findById(id);
    if (!row || row.applicationId !== applicationId) throw new NotFoundError('API token was not found');
    return row;
  }

  list(applicationId: string, query: ListQuery<TokenSortField>): Promise<Page<TokenRow>> {
    return this.store.tokens.list(applicationId, query);
  }

  /**
   * Changing what a token can do (its status, scope or expiry) or deleting it
   * requires holding every scope it holds (SPEC §10), so a narrow token can
   * neither revive a wider one nor revoke it. Its name and description are
   * anyone's to edit with the endpoint's scope.
   */
  private checkCovers(actor: Principal, token: TokenRow, action: string): void {
    const missing = token.scope.filter((s) => !covers(actor.scopes, s));
    if (missing.length > 0) throw new ForbiddenError(`A token cannot ${action} a token holding scopes it does not hold itself: ${missing.join(', ')}`);
  }

  async update(applicationId: string, id: string, input: TokenInput, actor: Principal): Promise<TokenRow> {
    const current = await this.get(applicationId, id);
    const changesPowers =
      (input.status !== undefined && input.status !== current.status) ||
      input.scope !== undefined ||
      (input.expirationDate !== undefined && input.expirationDate !== current.expirationDate);
    if (changesPowers) this.checkCovers(actor, current, 'change');
    const row: TokenRow = {
      ...current,
      name: input.name ?? current.name,
      description: input.description ?? current.description,
      status: input.status ?? current.status,
      lastUpdated: this.now().toISOString(),
    };
    if (!(await this.store.tokens.update(row))) throw new NotFoundError('API token was not found');
    this.events.emit('tokenChanged', { id, applicationId });
    return row;
  }

  async delete(applicationId: string, id: string, actor: Principal): Promise<void> {
    this.checkCovers(actor, await this.get(applicationId, id), 'delete');
    if (!(await this.store.tokens.delete(applicationId, id))) throw new NotFoundError('API token was not found');
    this.events.emit('tokenChanged', { id, applicationId });
  }
}
