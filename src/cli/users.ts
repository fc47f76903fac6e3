import type { Command } from 'commander';
import { loadConfig } from '../config/config.js';
import { openStore, storeOptionsFrom } from '../store/open.js';
import { UserService } from '../users/service.js';
import { collectFlags } from './flags.js';

const storeFlags = [
  ['--data-dir <dir>', 'directory of the SQLite database [env DATA_DIR]'],
  ['--database-url <url>', 'postgres:// URL, to use PostgreSQL [env DATABASE_URL]'],
  ['--database-schema <name>', 'PostgreSQL schema [env DATABASE_SCHEMA]'],
] as const;

async function withUsers(flags: Record<string, string | undefined>, run: (users: UserService) => Promise<void>): Promise<void> {
  const config = loadConfig(process.env, collectFlags(flags));
  const store = await openStore(storeOptionsFrom(config));
  try {
    await run(new UserService(store));
  } finally {
    await store.close();
  }
}

export function usersCommand(program: Command): void {
  const users = program.command('users').description('manage the users who can log in (POST /auth/user)');

  const create = users
    .command('create')
    .description('create a user')
    .requiredOption('--email <email>', 'the email the user logs in with')
    .requiredOption('--password <password>', 'the password, 8 to 2048 characters');
  for (const [flag, description] of storeFlags) create.option(flag, description);
  create.action(async (flags: Record<string, string | undefined>) => {
    await withUsers(flags, async (service) => {
      const user = await service.create(flags.email!, flags.password!);
      process.stdout.write(`Created user ${user.email} (id ${user.id}).\n`);
    });
  });

  const setPassword = users
    .command('set-password')
    .description("change a user's password")
    .requiredOption('--email <email>', 'the email of the user')
    .requiredOption('--password <password>', 'the new password, 8 to 2048 characters');
  for (const [flag, description] of storeFlags) setPassword.option(flag, description);
  setPassword.action(async (flags: Record<string, string | undefined>) => {
    await withUsers(flags, async (service) => {
      await service.setPassword(flags.email!, flags.password!);
      process.stdout.write(`Changed the password of ${flags.email!}.\n`);
    });
  });
}
