import type BetterSqlite3 from 'better-sqlite3';
import {
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
  type CompiledQuery,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type Kysely,
  type QueryResult,
} from 'kysely';
import { Lru } from '../../lib/lru.js';
import { outcomeError, type SqliteWriter, type WriteOp, type WriteOutcome } from './sqlite-writer.js';
import type { QueryRunner } from './traits.js';

/**
 * A SQLite driver that reads on the event loop and writes on a writer thread
 * (sqlite-writer.ts), with group commit. Every commit appends each page it
 * dirtied to the WAL (an insert touches one page per index), so a thousand
 * writes in a thousand transactions write several times more than the same
 * writes in a few. Writes made outside an explicit transaction are therefore
 * gathered for one event-loop turn and sent as one batch, which the writer
 * runs as one transaction (together with any batches that queued up while it
 * was busy: the busier, the bigger the transactions). Each write is a single
 * statement that succeeds or fails alone, and every caller is answered only
 * after the COMMIT, so nothing is acknowledged before it is committed.
 *
 * Reads run on the main connection at once (better-sqlite3 is synchronous),
 * and see every write acknowledged before them. An explicit transaction, which
 * spans awaits, runs all its statements on the writer and keeps everyone else
 * waiting until it ends.
 */

const STATEMENT_CACHE_SIZE = 1000;
/** Writes gathered in one turn past this many are sent without waiting for the turn to end. */
const EAGER_BATCH = 256;

type Statement = BetterSqlite3.Statement<unknown[]>;

interface Pending {
  readonly op: WriteOp;
  resolve(outcome: WriteOutcome): void;
  reject(error: unknown): void;
}

interface Transaction {
  readonly owner: Handle;
  readonly ended: Promise<void>;
  readonly end: () => void;
}

function closedError(): Error {
  return Object.assign(new Error('The database is closed'), { code: 'SQLITE_CLOSED' });
}

function toResult<R>(outcome: WriteOutcome): QueryResult<R> {
  const error = outcomeError(outcome);
  if (error) throw error;
  if ('rows' in outcome) return { rows: outcome.rows as R[] };
  const { changes, lastInsertRowid } = outcome as { changes: number; lastInsertRowid: number | bigint };
  return { numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid), rows: [] };
}

class Core {
  /** Where each SQL text runs: here (its statement) or on the writer (undefined). */
  private readonly statements = new Lru<string, { read: Statement | undefined }>(STATEMENT_CACHE_SIZE);
  private batch: Pending[] | undefined;
  private transaction: Transaction | undefined;
  private closed = false;

  constructor(
    private readonly db: BetterSqlite3.Database,
    private readonly writer: SqliteWriter,
  ) {}

  async execute<R>(handle: Handle, query: CompiledQuery): Promise<QueryResult<R>> {
    while (this.transaction && this.transaction.owner !== handle) await this.transaction.ended;
    if (this.closed) throw closedError();
    const op = { sql: query.sql, params: query.parameters };
    if (this.transaction) return toResult<R>(await this.writer.one(op));
    const statement = this.readStatement(query.sql);
    if (statement) return { rows: statement.all(query.parameters) as R[] };
    return toResult<R>(await this.inBatch(op));
  }

  async begin(handle: Handle): Promise<void> {
    while (this.transaction) await this.transaction.ended;
    if (this.closed) throw closedError();
    let end: () => void = () => {};
    const ended = new Promise<void>((resolve) => (end = resolve));
    this.transaction = { owner: handle, ended, end };
    // The open batch goes first; the writer answers in order.
    this.sendBatch();
    try {
      toResult(await this.writer.one({ exec: 'begin' }));
    } catch (err) {
      this.transaction = undefined;
      end();
      throw err;
    }
  }

  async finish(handle: Handle, command: 'commit' | 'rollback'): Promise<void> {
    const transaction = this.transaction;
    if (transaction?.owner !== handle) {
      // Kysely rolls back after a failed COMMIT, which has already ended the transaction here.
      if (command === 'rollback') return;
      throw new Error('commit outside the transaction');
    }
    try {
      toResult(await this.writer.one({ exec: command }));
    } catch (err) {
      // A COMMIT that failed can leave SQLite's transaction open; it must not outlive ours.
      if (command === 'commit') await this.writer.one({ exec: 'rollback' }).catch(() => undefined);
      throw err;
    } finally {
      this.transaction = undefined;
      transaction.end();
    }
  }

  async exec(handle: Handle, sql: string): Promise<void> {
    if (this.transaction?.owner !== handle) throw new Error('Savepoints need a transaction');
    toResult(await this.writer.one({ exec: sql }));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.sendBatch();
    await this.writer.close();
    this.db.close();
  }

  private inBatch(op: WriteOp): Promise<WriteOutcome> {
    let pending = this.batch;
    if (!pending) {
      const opened: Pending[] = [];
      pending = this.batch = opened;
      setImmediate(() => {
        if (this.batch === opened) this.sendBatch();
      });
    }
    const list = pending;
    const promise = new Promise<WriteOutcome>((resolve, reject) => list.push({ op, resolve, reject }));
    // A long turn need not keep the writer idle until its end: a full batch goes at once.
    if (list.length >= EAGER_BATCH) this.sendBatch();
    return promise;
  }

  private sendBatch(): void {
    const pending = this.batch;
    if (!pending) return;
    this.batch = undefined;
    this.writer.batch(pending.map((p) => p.op)).then(
      (outcomes) => pending.forEach((p, i) => p.resolve(outcomes[i]!)),
      (err: unknown) => pending.forEach((p) => p.reject(err)),
    );
  }

  /** The statement prepared on the main connection when it only reads; undefined for a write. */
  private readStatement(sql: string): Statement | undefined {
    let route = this.statements.get(sql);
    if (!route) {
      let statement: Statement;
      try {
        statement = this.db.prepare(sql);
      } catch {
        // Let the writer run it and report what is wrong (or do it, if it is DDL this connection cannot see yet).
        return undefined;
      }
      // `reader`: it returns rows; `readonly`: it changes nothing (SQLite's own verdict, so an
      // INSERT … RETURNING or a WITH … INSERT … RETURNING goes to the writer, whatever its first word).
      route = { read: statement.reader && statement.readonly ? statement : undefined };
      this.statements.set(sql, route);
    }
    return route.read;
  }
}

/** What Kysely holds while it runs a query or a transaction; identifies the transaction's owner. */
class Handle implements DatabaseConnection {
  constructor(private readonly core: Core) {}

  executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    return this.core.execute<R>(this, query);
  }

  // eslint-disable-next-line require-yield -- the interface asks for a generator; nothing here streams
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('Streaming queries are not supported');
  }
}

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

class GroupCommitDriver implements Driver {
  constructor(private readonly core: Core) {}

  async init(): Promise<void> {}
  async acquireConnection(): Promise<DatabaseConnection> {
    return new Handle(this.core);
  }
  async releaseConnection(): Promise<void> {}
  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await this.core.begin(connection as Handle);
  }
  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await this.core.finish(connection as Handle, 'commit');
  }
  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await this.core.finish(connection as Handle, 'rollback');
  }
  async savepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await this.core.exec(connection as Handle, `savepoint ${quote(name)}`);
  }
  async rollbackToSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await this.core.exec(connection as Handle, `rollback to ${quote(name)}`);
  }
  async releaseSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await this.core.exec(connection as Handle, `release ${quote(name)}`);
  }
  async destroy(): Promise<void> {
    await this.core.close();
  }
}

export interface GroupCommit {
  readonly dialect: Dialect;
  /**
   * Runs a compiled query the way a query outside a transaction runs, without
   * Kysely's connection layer (several promises per query) on the hot path.
   */
  readonly run: QueryRunner;
}

export function groupCommit(db: BetterSqlite3.Database, writer: SqliteWriter): GroupCommit {
  const core = new Core(db, writer);
  // Never begins a transaction, so it only ever waits for those of others.
  const autocommit = new Handle(core);
  return {
    dialect: {
      createAdapter: () => new SqliteAdapter(),
      createDriver: () => new GroupCommitDriver(core),
      createIntrospector: (kysely: Kysely<unknown>) => new SqliteIntrospector(kysely),
      createQueryCompiler: () => new SqliteQueryCompiler(),
    },
    run: (query) => core.execute(autocommit, query),
  };
}
