/**
 * The SQLite writer thread (started by sqlite-writer.ts): it owns the
 * connection every write goes through; sqlite-writer-protocol.ts has what it
 * is told and what it answers.
 *
 * A batch is one transaction. A failing statement is undone alone (SQLite's
 * statement rollback) unless the error rolled back the whole transaction
 * (a full disk, an I/O error): then the statements before it are reported
 * failed with that error too, and the rest run in a new transaction. A failed
 * COMMIT fails every statement of its transaction.
 *
 * Checkpoints run here, at commit time, as SQLite's automatic checkpoint:
 * on this thread they delay later writes a little but never the event loop,
 * and each one completes, so the WAL restarts instead of growing.
 */
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { jsonSafe, type Reply, type Request, type SentOp, type WriteOutcome, type WriterData } from './sqlite-writer-protocol.js';

type Statement = Database.Statement<unknown[]>;
type BatchRequest = Extract<Request, { kind: 'batch' }>;

const port = parentPort!;
const data = workerData as WriterData;
const db = new Database(data.file);
for (const pragma of data.pragmas) db.pragma(pragma);

// Statements by the number the main thread gave their SQL; it sends the SQL
// with the first use of a number only, and says when it starts over. A
// statement that fails to prepare is tried again on its next use, so each use
// reports its own error (or succeeds once the table it names exists).
let texts = new Map<number, string>();
let statements = new Map<number, Statement>();

function forget(): void {
  texts = new Map();
  statements = new Map();
}

function prepare(op: Extract<SentOp, { statement: number }>): Statement {
  if (op.sql !== undefined) texts.set(op.statement, op.sql);
  let statement = statements.get(op.statement);
  if (!statement) {
    const text = texts.get(op.statement);
    if (text === undefined) throw new Error(`statement ${op.statement} was never sent`);
    statement = db.prepare(text);
    statements.set(op.statement, statement);
  }
  return statement;
}

function failure(err: unknown): WriteOutcome {
  const { message, code } = (err ?? {}) as { message?: unknown; code?: unknown };
  return { error: { message: typeof message === 'string' ? message : String(err), code: typeof code === 'string' ? code : undefined } };
}

function execute(op: SentOp): WriteOutcome {
  if ('exec' in op) {
    // A transaction still open here was left by an owner the main thread stopped waiting for (its answer came too late).
    if (op.exec === 'begin' && db.inTransaction) db.exec('rollback');
    db.exec(op.exec);
    return { changes: 0, lastInsertRowid: 0 };
  }
  const statement = prepare(op);
  if (statement.reader) return { rows: statement.all(op.params) };
  const { changes, lastInsertRowid } = statement.run(op.params);
  return { changes, lastInsertRowid };
}

function runBatch(ops: readonly SentOp[]): WriteOutcome[] {
  const outcomes = new Array<WriteOutcome>(ops.length);
  let first = 0;
  // Batches never arrive during an explicit transaction; one still open was left by a COMMIT that failed.
  if (db.inTransaction) db.exec('rollback');
  db.exec('begin');
  for (let i = 0; i < ops.length; i++) {
    try {
      outcomes[i] = execute(ops[i]!);
    } catch (err) {
      const failed = failure(err);
      outcomes[i] = failed;
      if (!db.inTransaction) {
        for (let j = first; j < i; j++) outcomes[j] = failed;
        first = i + 1;
        db.exec('begin');
      }
    }
  }
  try {
    db.exec('commit');
  } catch (err) {
    try {
      db.exec('rollback');
    } catch {
      // SQLite already rolled it back
    }
    const failed = failure(err);
    for (let j = first; j < ops.length; j++) outcomes[j] = failed;
  }
  return outcomes;
}

function opsOf(request: BatchRequest): readonly SentOp[] {
  return 'json' in request ? (JSON.parse(request.json) as SentOp[]) : request.ops;
}

// Outcomes go back as one JSON string (faster to clone) unless a row holds a value JSON would alter.
function reply(id: number, outcomes: WriteOutcome[]): void {
  const safe = outcomes.every((outcome) => !('rows' in outcome) || outcome.rows.every((row) => Object.values(row as object).every(jsonSafe)));
  let json: string | undefined;
  try {
    if (safe) json = JSON.stringify(outcomes);
  } catch {
    // a bigint rowid, say: sent as it is
  }
  const message: Reply = json !== undefined ? { id, json } : { id, outcomes };
  port.postMessage(message);
}

function answer(request: Request): void {
  if (request.forget) forget();
  let outcomes: WriteOutcome[];
  try {
    if (request.kind === 'batch') outcomes = runBatch(opsOf(request));
    else if (request.kind === 'one') outcomes = [execute(request.op)];
    else {
      db.close();
      outcomes = [];
    }
  } catch (err) {
    const count = request.kind === 'batch' ? opsOf(request).length : 1;
    outcomes = new Array<WriteOutcome>(count).fill(failure(err));
  }
  reply(request.id, outcomes);
}

const next = () => receiveMessageOnPort(port)?.message as Request | undefined;

// Batches that queued up while the last commit ran are committed together:
// the busier the writer, the fewer commits (and the fewer times each hot page
// is written). Requests keep their order; other kinds are answered on their own.
port.on('message', (first: Request) => {
  let request: Request | undefined = first;
  while (request) {
    if (request.kind !== 'batch') {
      answer(request);
      if (request.kind === 'close') return;
      request = next();
      continue;
    }
    const batches: BatchRequest[] = [request];
    request = next();
    while (request && request.kind === 'batch' && !request.forget) {
      batches.push(request);
      request = next();
    }
    if (batches.length === 1) {
      answer(batches[0]!);
      continue;
    }
    if (batches[0]!.forget) forget();
    const parsed = batches.map(opsOf);
    const ops = parsed.flat();
    let outcomes: WriteOutcome[];
    try {
      outcomes = runBatch(ops);
    } catch (err) {
      outcomes = ops.map(() => failure(err));
    }
    let at = 0;
    batches.forEach((batch, i) => {
      const count = parsed[i]!.length;
      reply(batch.id, outcomes.slice(at, at + count));
      at += count;
    });
  }
});
