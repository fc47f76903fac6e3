import path from 'node:path';
import type { Kysely } from 'kysely';
import { StoreUnavailableError } from '../errors.js';
import { ensureSchema, openPostgres, postgresTraits } from './dialects/postgres.js';
import { openSqlite, sqliteTraits } from './dialects/sqlite.js';
import type { DialectTraits } from './dialects/traits.js';
import { migrateToLatest } from './migrations/index.js';
import { applicationRepository } from './repositories/applications.js';
import { integrationEventRepository } from './repositories/integration-events.js';
import { integrationRepository } from './repositories/integrations.js';
import { settingRepository } from './repositories/settings.js';
import { tokenRepository } from './repositories/tokens.js';
import { userRepository } from './repositories/users.js';
import type { Database } from './schema.js';
import type { Store } from './store.js';

export type StoreOptions =
  | { readonly kind: 'sqlite'; readonly file: string }
  | { readonly kind: 'postgres'; readonly url: string; readonly schema: string; readonly poolSize?: number };

export function storeOptionsFrom(config: { databaseUrl?: string | undefined; databaseSchema: string; dataDir: string }): StoreOptions {
  return config.databaseUrl
    ? { kind: 'postgres', url: config.databaseUrl, schema: config.databaseSchema }
    : { kind: 'sqlite', file: path.join(config.dataDir, 'tributary.db') };
}

/**
 * Wraps each repository method so that "the database cannot be reached" becomes
 * StoreUnavailableError (answered 503), whatever the dialect's own error is.
 */
function guarded<T extends object>(repository: T, traits: DialectTraits): T {
  const wrapped: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(repository)) {
    wrapped[name] = async (...args: unknown[]) => {
      try {
        return await (fn as (...a: unknown[]) => Promise<unknown>)(...args);
      } catch (err) {
        throw traits.isUnavailable(err) ? new StoreUnavailableError(err) : err;
      }
    };
  }
  return wrapped as T;
}

function assemble(db: Kysely<Database>, traits: DialectTraits, close: () => Promise<void>): Store {
  return {
    kind: traits.kind,
    users: guarded(userRepository(db), traits),
    applications: guarded(applicationRepository(db, traits), traits),
    tokens: guarded(tokenRepository(db, traits), traits),
    integrations: guarded(integrationRepository(db, traits), traits),
    integrationEvents: guarded(integrationEventRepository(db, traits), traits),
    settings: guarded(settingRepository(db), traits),
    async ping() {
      try {
        await db.selectFrom('settings').select('key').limit(1).execute();
      } catch (err) {
        throw traits.isUnavailable(err) ? new StoreUnavailableError(err) : err;
      }
    },
    close,
  };
}

/** Opens the store and brings its schema up to date. */
export async function openStore(options: StoreOptions): Promise<Store> {
  if (options.kind === 'sqlite') {
    const db = openSqlite(options.file);
    await migrateToLatest(db as Kysely<unknown>, sqliteTraits);
    return assemble(db, sqliteTraits, () => db.destroy());
  }
  await ensureSchema(options.url, options.schema);
  const { db } = openPostgres(options.url, options.schema, options.poolSize);
  try {
    await migrateToLatest(db as Kysely<unknown>, postgresTraits, options.schema);
  } catch (err) {
    await db.destroy();
    throw err;
  }
  return assemble(db, postgresTraits, () => db.destroy());
}
