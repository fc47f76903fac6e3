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

/**
 * A SQLite driver with group commit. Every commit appends each page it dirtied
 * to the WAL (an insert touches one page per index), so a thousand writes in a
 * thousand transactions write several times more than the same writes in a few.
 * Writes made outside an explicit transaction therefore join one transaction
 * per event-loop turn. Each is a single statement, and SQLite undoes a failing
 * statement alone while keeping the transaction and the statements before it
 * (ON CONFLICT ABORT), so a failing write fails alone. Every caller is answered
 * only after the COMMIT, so nothing is acknowledged before it is committed; a
 * failed COMMIT fails every write of the batch.
 *
 * better-sqlite3 runs each statement synchronously, so plain queries need no
 * lock; only an explicit transaction, which spans awaits, keeps everyone else
 * waiting until it ends (and first commits the open batch).
 */

const STATEMENT_CACHE_SIZE = 1000;

type Statement = BetterSqlite3.Statement<unknown[]>;

interface Waiter {
  resolve(): void;
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

class Core {
  private readonly statements = new Lru<string, Statement>(STATEMENT_CACHE_SIZE);
  private batch: Waiter[] | undefined;
  private transaction: Transaction | undefined;
  private closed = false;

  constructor(private readonly db: BetterSqlite3.Database) {}

  async execute<R>(handle: Handle, query: CompiledQuery): Promise<QueryResult<R>> {
    while (this.transaction && this.transaction.owner !== handle) await this.transaction.ended;
    if (this.closed) throw closedError();
    const statement = this.prepare(query.sql);
    if (statement.reader) return { rows: statement.all(query.parameters) as R[] };
    if (this.transaction) return this.run<R>(statement, query);
    return this.runInBatch<R>(statement, query);
  }

  async begin(handle: Handle): Promise<void> {
    while (this.transaction) await this.transaction.ended;
    if (this.closed) throw closedError();
    this.commitBatch();
    this.db.exec('begin');
    let end: () => void = () => {};
    const ended = new Promise<void>((resolve) => (end = resolve));
    this.transaction = { owner: handle, ended, end };
  }

  finish(handle: Handle, command: 'commit' | 'rollback'): void {
    const transaction = this.transaction;
    if (transaction?.owner !== handle) throw new Error(`${command} outside the transaction`);
    this.transaction = undefined;
    try {
      this.db.exec(command);
    } finally {
      transaction.end();
    }
  }

  exec(handle: Handle, sql: string): void {
    if (this.transaction?.owner !== handle) throw new Error('Savepoints need a transaction');
    this.db.exec(sql);
  }

  close(): void {
    this.commitBatch();
    this.closed = true;
    this.db.close();
  }

  private runInBatch<R>(statement: Statement, query: CompiledQuery): Promise<QueryResult<R>> {
    let waiters = this.batch;
    if (!waiters) {
      this.db.exec('begin');
      const opened: Waiter[] = [];
      waiters = this.batch = opened;
      setImmediate(() => {
        if (this.batch === opened) this.commitBatch();
      });
    }
    const result = this.run<R>(statement, query);
    return new Promise((resolve, reject) => waiters.push({ resolve: () => resolve(result), reject }));
  }

  private commitBatch(): void {
    const waiters = this.batch;
    if (!waiters) return;
    this.batch = undefined;
    try {
      this.db.exec('commit');
    } catch (err) {
      try {
        this.db.exec('rollback');
      } catch {
        // SQLite already rolled it back
      }
      for (const waiter of waiters) waiter.reject(err);
      return;
    }
    for (const waiter of waiters) waiter.resolve();
  }

  private run<R>(statement: Statement, query: CompiledQuery): QueryResult<R> {
    const { changes, lastInsertRowid } = statement.run(query.parameters);
    return { numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid), rows: [] };
  }

  private prepare(sql: string): Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
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
  private readonly core: Core;

  constructor(db: BetterSqlite3.Database) {
    this.core = new Core(db);
  }

  async init(): Promise<void> {}
  async acquireConnection(): Promise<DatabaseConnection> {
    return new Handle(this.core);
  }
  async releaseConnection(): Promise<void> {}
  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await this.core.begin(connection as Handle);
  }
  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    this.core.finish(connection as Handle, 'commit');
  }
  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    this.core.finish(connection as Handle, 'rollback');
  }
  async savepoint(connection: DatabaseConnection, name: string): Promise<void> {
    this.core.exec(connection as Handle, `savepoint ${quote(name)}`);
  }
  async rollbackToSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    this.core.exec(connection as Handle, `rollback to ${quote(name)}`);
  }
  async releaseSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    this.core.exec(connection as Handle, `release ${quote(name)}`);
  }
  async destroy(): Promise<void> {
    this.core.close();
  }
}

export function groupCommitDialect(db: BetterSqlite3.Database): Dialect {
  return {
    createAdapter: () => new SqliteAdapter(),
    createDriver: () => new GroupCommitDriver(db),
    createIntrospector: (kysely: Kysely<unknown>) => new SqliteIntrospector(kysely),
    createQueryCompiler: () => new SqliteQueryCompiler(),
  };
}
