import path from 'node:path';
import type { Kysely } from 'kysely';
import { StoreUnavailableError } from '../errors.js';
import { PostgresChangeFeed } from './dialects/postgres-changes.js';
import { ensureSchema, openPostgres, postgresTraits } from './dialects/postgres.js';
import { openSqlite, sqliteTraits } from './dialects/sqlite.js';
import type { DialectTraits, QueryRunner } from './dialects/traits.js';
import { migrateToLatest } from './migrations/index.js';
import { applicationRepository } from './repositories/applications.js';
import { integrationEventRepository } from './repositories/integration-events.js';
import { integrationRepository } from './repositories/integrations.js';
import { messageRepository } from './repositories/messages.js';
import { settingRepository } from './repositories/settings.js';
import { tokenRepository } from './repositories/tokens.js';
import { userRepository } from './repositories/users.js';
import type { Database } from './schema.js';
import { withRowCache } from './repositories/integration-row-cache.js';
import type { ApplicationRepository, ChangeFeed, Store } from './store.js';

interface CommonOptions {
  /** DB_TIMEOUT_MS: the longest any query may take before the store reports itself unavailable (default 5000). */
  readonly timeoutMs?: number;
  readonly onError?: (this: void, message: string) => void;
}

export type StoreOptions =
  | (CommonOptions & { readonly kind: 'sqlite'; readonly file: string })
  | (CommonOptions & { readonly kind: 'postgres'; readonly url: string; readonly schema: string; readonly poolSize?: number });

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

function assemble(db: Kysely<Database>, traits: DialectTraits, close: () => Promise<void>, options: { changes?: ChangeFeed; run?: QueryRunner } = {}): Store {
  const { changes, run } = options;
  const baseApplications = guarded(applicationRepository(db, traits), traits);
  // A SQLite file is written by this process alone; PostgreSQL rows others change arrive on the change feed.
  const integrations = withRowCache(guarded(integrationRepository(db, traits, run), traits), changes);
  const applications: ApplicationRepository = {
    ...baseApplications,
    async delete(id) {
      const removed = await baseApplications.delete(id);
      if (removed) integrations.forget(removed);
      return removed;
    },
  };
  return {
    kind: traits.kind,
    ...(changes ? { changes } : {}),
    users: guarded(userRepository(db), traits),
    applications,
    tokens: guarded(tokenRepository(db, traits), traits),
    integrations,
    integrationEvents: guarded(integrationEventRepository(db, traits), traits),
    settings: guarded(settingRepository(db), traits),
    messages: guarded(messageRepository(db, traits), traits),
    ...guarded({ ping: async () => void (await db.selectFrom('settings').select('key').limit(1).execute()) }, traits),
    close,
  };
}

/** Opens the store and brings its schema up to date. */
export async function openStore(options: StoreOptions): Promise<Store> {
  if (options.kind === 'sqlite') {
    const { db, run, close } = openSqlite(options.file, options.onError);
    try {
      await migrateToLatest(db as Kysely<unknown>, sqliteTraits);
    } catch (err) {
      await close();
      throw err;
    }
    return assemble(db, sqliteTraits, close, { run });
  }
  await ensureSchema(options.url, options.schema);
  const { db } = openPostgres(options.url, options.schema, options.poolSize);
  try {
    await migrateToLatest(db as Kysely<unknown>, postgresTraits, options.schema);
  } catch (err) {
    await db.destroy();
    throw err;
  }
  const changes = new PostgresChangeFeed(options.url, options.schema, options.onError ?? (() => {}));
  await changes.start();
  return assemble(db, postgresTraits, async () => {
    await changes.stop();
    await db.destroy();
  }, { changes });
}
