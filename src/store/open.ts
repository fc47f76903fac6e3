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
import { checkpointRepository } from './repositories/checkpoints.js';
import { clusterRepository } from './repositories/cluster.js';
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
  | (CommonOptions & {
      readonly kind: 'postgres';
      readonly url: string;
      readonly schema: string;
      readonly poolSize?: number;
      /** This cluster node's id: it signs what it commits, so its own tail need not read it back. */
      readonly nodeId?: string;
    });

export const DEFAULT_TIMEOUT_MS = 5000;

export function storeOptionsFrom(
  config: { databaseUrl?: string | undefined; databaseSchema: string; dataDir: string; dbTimeout: number },
  nodeId?: string,
): StoreOptions {
  return config.databaseUrl
    ? { kind: 'postgres', url: config.databaseUrl, schema: config.databaseSchema, timeoutMs: config.dbTimeout, ...(nodeId ? { nodeId } : {}) }
    : { kind: 'sqlite', file: path.join(config.dataDir, 'tributary.db'), timeoutMs: config.dbTimeout };
}

/** How each repository call is guarded. */
interface Guard {
  readonly traits: DialectTraits;
  /**
   * When set, a call not settled within this many ms is answered
   * StoreUnavailableError whatever it is waiting for (a pooled connection, then
   * a query, then another): each wait has its own bound, the caller one in all.
   */
  readonly deadlineMs?: number | undefined;
}

function unanswered(deadlineMs: number): Promise<never> & { cancel(): void } {
  let timer: NodeJS.Timeout | undefined;
  const promise = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new StoreUnavailableError(new Error(`The database did not answer within ${deadlineMs} ms`))), deadlineMs);
  });
  return Object.assign(promise, { cancel: () => clearTimeout(timer) });
}

/**
 * Wraps each repository method so that "the database cannot be reached" becomes
 * StoreUnavailableError (answered 503), whatever the dialect's own error is.
 */
function guarded<T extends object>(repository: T, { traits, deadlineMs }: Guard): T {
  const wrapped: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(repository)) {
    const call = async (...args: unknown[]) => {
      try {
        return await (fn as (...a: unknown[]) => Promise<unknown>)(...args);
      } catch (err) {
        throw traits.isUnavailable(err) ? new StoreUnavailableError(err) : err;
      }
    };
    wrapped[name] =
      deadlineMs === undefined
        ? call
        : async (...args: unknown[]) => {
            const work = call(...args);
            const timeout = unanswered(deadlineMs);
            try {
              return await Promise.race([work, timeout]);
            } finally {
              timeout.cancel();
              // Settles later, on its own bounds; its outcome has no one left to hear it.
              work.catch(() => {});
            }
          };
  }
  return wrapped as T;
}

interface AssembleOptions {
  readonly changes?: ChangeFeed;
  readonly run?: QueryRunner;
  /** PostgreSQL: the connections the cluster's leases are renewed on, apart from the requests'. */
  readonly clusterDb?: Kysely<Database>;
  readonly nodeId?: string | undefined;
}

function assemble(db: Kysely<Database>, guard: Guard, close: () => Promise<void>, options: AssembleOptions = {}): Store {
  const { changes, run, clusterDb, nodeId } = options;
  const { traits } = guard;
  const baseApplications = guarded(applicationRepository(db, traits), guard);
  // A SQLite file is written by this process alone; PostgreSQL rows others change arrive on the change feed.
  const integrations = withRowCache(guarded(integrationRepository(db, traits, run), guard), changes);
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
    ...(nodeId ? { nodeId } : {}),
    users: guarded(userRepository(db), guard),
    applications,
    tokens: guarded(tokenRepository(db, traits), guard),
    integrations,
    integrationEvents: guarded(integrationEventRepository(db, traits), guard),
    settings: guarded(settingRepository(db), guard),
    messages: guarded(messageRepository(db, traits, { origin: nodeId, run }), guard),
    checkpoints: guarded(checkpointRepository(db), guard),
    ...(clusterDb ? { cluster: guarded(clusterRepository(clusterDb), guard) } : {}),
    ...guarded({ ping: async () => void (await db.selectFrom('settings').select('key').limit(1).execute()) }, guard),
    close,
  };
}

/** Opens the store and brings its schema up to date. */
export async function openStore(options: StoreOptions): Promise<Store> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const onError = options.onError ?? (() => {});
  if (options.kind === 'sqlite') {
    // Reads run on the event loop and cannot be cut short; the writer thread bounds every write itself.
    const sqlite = openSqlite(options.file, { timeoutMs, onError });
    try {
      await migrateToLatest(sqlite.db as Kysely<unknown>, sqliteTraits);
    } catch (err) {
      await sqlite.close();
      throw err;
    }
    // Migrations are not requests: they may rightly take longer than DB_TIMEOUT_MS; what follows may not.
    sqlite.boundWrites();
    return assemble(sqlite.db, { traits: sqliteTraits }, () => sqlite.close(), { run: sqlite.run });
  }
  await ensureSchema(options.url, options.schema, timeoutMs);
  // Migrations are not requests: they run on connections of their own, with no bound on a
  // statement (a schema change may take long; a node starting beside another waits for its).
  const migrations = openPostgres(options.url, options.schema, { poolSize: 2, timeoutMs, boundQueries: false });
  try {
    await migrateToLatest(migrations.db as Kysely<unknown>, postgresTraits, options.schema);
  } finally {
    await migrations.close();
  }
  const { db, close } = openPostgres(options.url, options.schema, { poolSize: options.poolSize, timeoutMs });
  // A lease renewal must never wait for a pooled connection behind a burst of requests: the cluster has two of its own.
  const cluster = openPostgres(options.url, options.schema, { poolSize: 2, timeoutMs });
  const changes = new PostgresChangeFeed(options.url, options.schema, onError, { timeoutMs });
  await changes.start();
  return assemble(db, { traits: postgresTraits, deadlineMs: timeoutMs }, async () => {
    await Promise.all([changes.stop(), close(), cluster.close()]);
  }, { changes, clusterDb: cluster.db, nodeId: options.nodeId });
}
