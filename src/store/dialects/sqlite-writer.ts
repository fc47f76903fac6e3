import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { WRITER_SOURCE } from './sqlite-writer-source.js';

/** A statement with its parameters, or a command run as is (begin, commit, savepoint …). */
export type WriteOp = { readonly sql: string; readonly params: readonly unknown[] } | { readonly exec: string };

export type WriteOutcome =
  | { readonly rows: unknown[] }
  | { readonly changes: number; readonly lastInsertRowid: number | bigint }
  | { readonly error: { readonly message: string; readonly code?: string } };

/** An op as sent: its statement by number, with the SQL only the first time. */
type SentOp = { statement: number; sql?: string; params: readonly unknown[] } | { exec: string };
type Message = { kind: 'batch'; ops: SentOp[] } | { kind: 'batch'; json: string } | { kind: 'one'; op: SentOp } | { kind: 'close' };

/** Strings, finite numbers and null survive JSON unchanged; Buffers, bigints and undefined do not. */
function jsonSafe(op: SentOp): boolean {
  if ('exec' in op) return true;
  for (const value of op.params) {
    if (value !== null && typeof value !== 'string' && !(typeof value === 'number' && Number.isFinite(value))) return false;
  }
  return true;
}

/** Statements the writer keeps prepared; past this many, both sides start over. */
const STATEMENT_CACHE_SIZE = 1000;

/**
 * The client side of the SQLite writer thread. Every write runs there, on a
 * connection of its own, so inserting rows, committing and checkpointing never
 * take the event loop's time; reads stay on the main connection, where a point
 * query costs less than a message. Messages are answered in the order sent.
 */
export class SqliteWriter {
  private readonly worker: Worker;
  private readonly waiting = new Map<number, { resolve(outcomes: WriteOutcome[]): void; reject(error: Error): void }>();
  private nextId = 0;
  private readonly statements = new Map<string, number>();
  private forget = false;
  private failure: Error | undefined;
  private closed = false;

  constructor(
    file: string,
    pragmas: readonly string[],
    private readonly onError: (message: string) => void = () => {},
  ) {
    const require = createRequire(import.meta.url);
    this.worker = new Worker(WRITER_SOURCE, { eval: true, workerData: { file, pragmas, driver: require.resolve('better-sqlite3') } });
    // Only messages waited for keep the process alive.
    this.worker.unref();
    this.worker.on('message', (message: { id: number; outcomes?: WriteOutcome[]; json?: string }) => {
      const waiter = this.waiting.get(message.id);
      this.waiting.delete(message.id);
      if (this.waiting.size === 0) this.worker.unref();
      waiter?.resolve(message.json !== undefined ? (JSON.parse(message.json) as WriteOutcome[]) : message.outcomes!);
    });
    this.worker.on('error', (err) => this.fail(err));
    this.worker.on('exit', (code) => this.fail(new Error(`The SQLite writer thread exited (code ${code})`)));
  }

  /** Runs the ops in one transaction; each succeeds or fails on its own, a failed COMMIT fails them all. */
  batch(ops: readonly WriteOp[]): Promise<WriteOutcome[]> {
    this.makeRoom(ops.length);
    const sent = ops.map((op) => this.sendable(op));
    // One JSON string clones much faster than thousands of small values; anything JSON would alter goes as it is.
    return this.send(sent.every(jsonSafe) ? { kind: 'batch', json: JSON.stringify(sent) } : { kind: 'batch', ops: sent });
  }

  /** Runs one op as it is, e.g. inside an explicit transaction. */
  async one(op: WriteOp): Promise<WriteOutcome> {
    this.makeRoom(1);
    const [outcome] = await this.send({ kind: 'one', op: this.sendable(op) });
    return outcome!;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (!this.failure) await this.send({ kind: 'close' });
    await this.worker.terminate();
  }

  /** Structured-cloning the same SQL text with every op would cost more than running some of them. */
  private sendable(op: WriteOp): SentOp {
    if ('exec' in op) return op;
    let statement = this.statements.get(op.sql);
    if (statement !== undefined) return { statement, params: op.params };
    statement = this.statements.size;
    this.statements.set(op.sql, statement);
    return { statement, sql: op.sql, params: op.params };
  }

  /** Starts over before a message that could pass the limit, so no message mixes numbers from before and after. */
  private makeRoom(ops: number): void {
    if (this.statements.size + ops <= STATEMENT_CACHE_SIZE) return;
    this.statements.clear();
    this.forget = true;
  }

  private send(message: Message): Promise<WriteOutcome[]> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    const forget = this.forget;
    this.forget = false;
    if (this.waiting.size === 0) this.worker.ref();
    return new Promise((resolve, reject) => {
      try {
        this.worker.postMessage({ id, forget, ...message });
      } catch (err) {
        // A value that cannot be cloned: nothing was sent, including SQL the writer was to learn.
        this.statements.clear();
        this.forget = true;
        if (this.waiting.size === 0) this.worker.unref();
        reject(err instanceof Error ? err : new Error(String(err)));
        return;
      }
      this.waiting.set(id, { resolve, reject });
    });
  }

  private fail(err: Error): void {
    if (!this.failure && !this.closed) this.onError(`writes stopped: ${err.message}`);
    // Reported as the database being unavailable (503), not as a bug.
    this.failure ??= Object.assign(new Error(err.message, { cause: err }), { code: 'SQLITE_CLOSED' });
    for (const waiter of this.waiting.values()) waiter.reject(this.failure);
    this.waiting.clear();
  }
}

/** The error a failed op carries, with SQLite's code so the store can map it. */
export function outcomeError(outcome: WriteOutcome): Error | undefined {
  if (!('error' in outcome)) return undefined;
  return Object.assign(new Error(outcome.error.message), { code: outcome.error.code });
}
