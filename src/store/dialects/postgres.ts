import { Kysely, PostgresDialect, sql, type PostgresPool, type PostgresPoolClient } from 'kysely';
import pg from 'pg';
import type { Database } from '../schema.js';
import type { DialectTraits } from './traits.js';

const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'ETIMEDOUT', 'EAI_AGAIN', 'EPIPE', 'EHOSTUNREACH',
  // query_canceled: statement_timeout ran out (the database too slow to answer in time)
  '57014',
  '57P01', '57P02', '57P03', '53300', '08000', '08001', '08003', '08004', '08006',
]);
const UNAVAILABLE_MESSAGES = /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Query read timeout|Client was closed and is not queryable/i;

export const postgresTraits: DialectTraits = {
  kind: 'postgres',
  sortableText: sql`text collate "C"`,
  bigint: sql`bigint`,
  like: (column, pattern) => sql<boolean>`${column} LIKE ${pattern} ESCAPE '\\'`,
  isUnavailable: (error) => {
    if (typeof error !== 'object' || error === null) return false;
    const { code, message } = error as { code?: unknown; message?: unknown };
    return (typeof code === 'string' && UNAVAILABLE_CODES.has(code)) || (typeof message === 'string' && UNAVAILABLE_MESSAGES.test(message));
  },
};

// int8 (counts, epoch milliseconds) fits a JS number for every value we store.
const INT8_OID = 20;
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID ? (value: string) => Number(value) : (pg.types.getTypeParser(oid, format) as unknown)) as typeof pg.types.getTypeParser,
};

/**
 * The client gives up on an answer this long after the server's own limit
 * (statement_timeout), so a database that is merely slow cancels the query
 * itself and keeps the connection; only one that says nothing at all costs
 * us the connection.
 */
const CLIENT_MARGIN_MS = 1000;

/**
 * Settings every connection gets, whatever it is for: each wait bounded by
 * `timeoutMs` (connecting, each statement on the server, each answer on the
 * client), and TCP keepalives so that a peer gone for good is noticed even
 * on a connection with nothing to say.
 */
export function connectionConfig(connectionString: string, timeoutMs: number, boundQueries = true): pg.ClientConfig {
  return {
    connectionString,
    connectionTimeoutMillis: timeoutMs,
    ...(boundQueries ? { statement_timeout: timeoutMs, query_timeout: timeoutMs + CLIENT_MARGIN_MS } : {}),
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
  };
}

/** Drops a client's connection at once: ending it politely waits for a database that may never answer. */
export function destroyClient(client: pg.Client): void {
  client.connection.stream.destroy();
}

/** Ends a client politely when the database answers within `graceMs`, and drops its connection otherwise. */
export async function endClient(client: pg.Client, graceMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)));
  await Promise.race([client.end().catch(() => {}), late]);
  clearTimeout(timer);
  destroyClient(client);
}

/**
 * An error after which a connection cannot be trusted: the connection broke,
 * or a query got no answer (the client still waits for it, so the next query
 * would queue behind it). Errors the server reported leave it usable.
 */
function breaksConnection(error: unknown): boolean {
  if (!(error instanceof pg.DatabaseError)) return true;
  return typeof error.code === 'string' && /^(08|57P)/.test(error.code);
}

/**
 * The pool as Kysely sees it. Kysely hands a client back as it got it, even
 * after a query on it failed; here one that failed in a way that breaks it is
 * destroyed and dropped from the pool instead, so the next request gets a
 * fresh connection rather than a dead one.
 */
function discardingBroken(pool: pg.Pool): PostgresPool {
  const handles = new WeakMap<pg.PoolClient, { handle: PostgresPoolClient; broken: Error | undefined }>();
  return {
    async connect() {
      const client = await pool.connect();
      let entry = handles.get(client);
      if (!entry) {
        const state: { handle: PostgresPoolClient; broken: Error | undefined } = {
          broken: undefined,
          handle: {
            // Kysely passes a cursor only when given a cursor class, which it is not: text and parameters it is.
            query: (async (text: string, parameters: readonly unknown[]) => {
              try {
                return await client.query(text, parameters as unknown[]);
              } catch (err) {
                if (breaksConnection(err)) state.broken ??= err instanceof Error ? err : new Error(String(err));
                throw err;
              }
            }) as unknown as PostgresPoolClient['query'],
            release: () => {
              const broken = state.broken;
              state.broken = undefined;
              if (broken) destroyClient(client);
              client.release(broken);
            },
          },
        };
        entry = state;
        handles.set(client, entry);
      }
      return entry.handle;
    },
    end: () => pool.end(),
  };
}

export async function ensureSchema(connectionString: string, schema: string, timeoutMs: number): Promise<void> {
  const client = new pg.Client(connectionConfig(connectionString, timeoutMs));
  // Without a listener, a connection lost between queries would end the process; the query under way fails anyway.
  client.on('error', () => {});
  await client.connect();
  try {
    await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
  } catch (err) {
    // Two nodes starting at once may race to create it; the loser sees a duplicate.
    const code = (err as { code?: string }).code;
    if (code !== '23505' && code !== '42P06') throw err;
  } finally {
    await endClient(client, timeoutMs);
  }
}

export interface PostgresOptions {
  readonly poolSize?: number;
  /** DB_TIMEOUT_MS: bounds connecting, waiting for a pooled connection, and every query. */
  readonly timeoutMs: number;
  /**
   * False for migrations: a schema change may rightly take longer than any
   * request, and a node starting beside another waits for the other's
   * migrations to end. Connecting stays bounded.
   */
  readonly boundQueries?: boolean;
}

export function openPostgres(connectionString: string, schema: string, options: PostgresOptions): { db: Kysely<Database>; close: () => Promise<void> } {
  const pool = new pg.Pool({
    ...connectionConfig(connectionString, options.timeoutMs, options.boundQueries ?? true),
    max: options.poolSize ?? 20,
    // connectionTimeoutMillis also bounds the wait for a free pooled connection: past it the request gets a 503.
    idleTimeoutMillis: 30_000,
    options: `-c search_path="${schema}"`,
    types,
  });
  // An idle client losing its connection must not crash the process; the pool drops it.
  pool.on('error', () => {});
  // Nor may one that is checked out, which the pool stops listening to: its query fails
  // with the error, and the release after it drops the client (see discardingBroken).
  const clients = new Set<pg.Client>();
  pool.on('connect', (client) => {
    clients.add(client);
    client.on('error', () => {});
  });
  pool.on('remove', (client) => clients.delete(client));
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: discardingBroken(pool) }) });
  return {
    db,
    // Ending the pool ends each client politely, which waits for a database that may say nothing: not for long.
    async close() {
      const timer = setTimeout(() => clients.forEach(destroyClient), options.timeoutMs);
      try {
        await db.destroy();
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
