import type { Worker } from 'node:worker_threads';
import { jsonSafe, type Reply, type Request, type RequestBody, type SentOp, type WriteOp, type WriteOutcome, type WriterData } from './sqlite-writer-protocol.js';
import { startThread } from './threads.js';

export type { WriteOp, WriteOutcome } from './sqlite-writer-protocol.js';

const opJsonSafe = (op: SentOp) => 'exec' in op || op.params.every(jsonSafe);

/** Statements the writer keeps prepared; past this many, both sides start over. */
const STATEMENT_CACHE_SIZE = 1000;

export interface SqliteWriterOptions {
  /**
   * DB_TIMEOUT_MS: a request not answered within this many ms fails with an
   * error the store reports as unavailable (503). The writer may still carry
   * it out; its late answer is dropped. Unset: answers are waited for as long
   * as they take (see setTimeout).
   */
  readonly timeoutMs?: number | undefined;
  readonly onError?: (message: string) => void;
}

/**
 * The client side of the SQLite writer thread (sqlite-writer-thread.ts). Every
 * write runs there, on a connection of its own, so inserting rows, committing
 * and checkpointing never take the event loop's time; reads stay on the main
 * connection, where a point query costs less than a message. Messages are
 * answered in the order sent.
 */
export class SqliteWriter {
  private readonly worker: Worker;
  private readonly waiting = new Map<number, { resolve(outcomes: WriteOutcome[]): void; reject(error: Error): void; timer: NodeJS.Timeout | undefined }>();
  private timeoutMs: number | undefined;
  private readonly onError: (message: string) => void;
  private nextId = 0;
  private readonly statements = new Map<string, number>();
  private forget = false;
  private failure: Error | undefined;
  private closed = false;

  constructor(file: string, pragmas: readonly string[], options: SqliteWriterOptions = {}) {
    this.timeoutMs = options.timeoutMs;
    this.onError = options.onError ?? (() => {});
    const workerData: WriterData = { file, pragmas };
    this.worker = startThread('sqlite-writer-thread', import.meta.url, { workerData });
    // Only messages waited for keep the process alive.
    this.worker.unref();
    this.worker.on('message', (message: Reply) => {
      const waiter = this.waiting.get(message.id);
      // Answered too late: the caller was told the database did not answer.
      if (!waiter) return;
      this.settled(message.id, waiter.timer);
      waiter.resolve('json' in message ? (JSON.parse(message.json) as WriteOutcome[]) : message.outcomes);
    });
    this.worker.on('error', (err) => this.fail(err));
    this.worker.on('exit', (code) => this.fail(new Error(`The SQLite writer thread exited (code ${code})`)));
  }

  /** Runs the ops in one transaction; each succeeds or fails on its own, a failed COMMIT fails them all. */
  batch(ops: readonly WriteOp[]): Promise<WriteOutcome[]> {
    this.makeRoom(ops.length);
    const sent = ops.map((op) => this.sendable(op));
    // One JSON string clones much faster than thousands of small values; anything JSON would alter goes as it is.
    return this.send(sent.every(opJsonSafe) ? { kind: 'batch', json: JSON.stringify(sent) } : { kind: 'batch', ops: sent });
  }

  /** Runs one op as it is, e.g. inside an explicit transaction. */
  async one(op: WriteOp): Promise<WriteOutcome> {
    this.makeRoom(1);
    const [outcome] = await this.send({ kind: 'one', op: this.sendable(op) });
    return outcome!;
  }

  /** Bounds the wait for each answer from now on (undefined: no bound), e.g. once migrations, which may rightly take long, are done. */
  setTimeout(timeoutMs: number | undefined): void {
    this.timeoutMs = timeoutMs;
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

  private send(body: RequestBody): Promise<WriteOutcome[]> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    const forget = this.forget;
    this.forget = false;
    if (this.waiting.size === 0) this.worker.ref();
    return new Promise((resolve, reject) => {
      try {
        const request: Request = { id, forget, ...body };
        this.worker.postMessage(request);
      } catch (err) {
        // A value that cannot be cloned: nothing was sent, including SQL the writer was to learn.
        this.statements.clear();
        this.forget = true;
        if (this.waiting.size === 0) this.worker.unref();
        reject(err instanceof Error ? err : new Error(String(err)));
        return;
      }
      const timeoutMs = this.timeoutMs;
      const timer =
        timeoutMs === undefined
          ? undefined
          : setTimeout(() => {
              this.settled(id, timer);
              // SQLite's own name for a wait that ran out; the store answers it 503.
              reject(Object.assign(new Error(`The SQLite writer did not answer within ${timeoutMs} ms`), { code: 'SQLITE_BUSY_TIMEOUT' }));
            }, timeoutMs);
      this.waiting.set(id, { resolve, reject, timer });
    });
  }

  private settled(id: number, timer: NodeJS.Timeout | undefined): void {
    clearTimeout(timer);
    this.waiting.delete(id);
    if (this.waiting.size === 0) this.worker.unref();
  }

  private fail(err: Error): void {
    if (!this.failure && !this.closed) this.onError(`writes stopped: ${err.message}`);
    // Reported as the database being unavailable (503), not as a bug.
    this.failure ??= Object.assign(new Error(err.message, { cause: err }), { code: 'SQLITE_CLOSED' });
    for (const waiter of this.waiting.values()) {
      clearTimeout(waiter.timer);
      waiter.reject(this.failure);
    }
    this.waiting.clear();
  }
}

/** The error a failed op carries, with SQLite's code so the store can map it. */
export function outcomeError(outcome: WriteOutcome): Error | undefined {
  if (!('error' in outcome)) return undefined;
  return Object.assign(new Error(outcome.error.message), { code: outcome.error.code });
}
