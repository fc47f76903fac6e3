/**
 * The writer thread's program (CommonJS, evaluated by the Worker, so it runs
 * the same from src/ under the test runner and from dist/). It owns the
 * connection every write goes through; see sqlite-writer.ts for the protocol.
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
export const WRITER_SOURCE = `
const { parentPort, receiveMessageOnPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);

const db = new Database(workerData.file);
for (const pragma of workerData.pragmas) db.pragma(pragma);

// Statements by the number the main thread gave their SQL; it sends the SQL
// with the first use of a number only, and says when it starts over. A
// statement that fails to prepare is tried again on its next use, so each use
// reports its own error (or succeeds once the table it names exists).
let texts = new Map();
let statements = new Map();
function prepare(op) {
  if (op.sql !== undefined) texts.set(op.statement, op.sql);
  let statement = statements.get(op.statement);
  if (!statement) {
    statement = db.prepare(texts.get(op.statement));
    statements.set(op.statement, statement);
  }
  return statement;
}

function failure(err) {
  return { error: { message: String((err && err.message) || err), code: err && typeof err.code === 'string' ? err.code : undefined } };
}

function execute(op) {
  if (op.exec !== undefined) {
    db.exec(op.exec);
    return { changes: 0, lastInsertRowid: 0 };
  }
  const statement = prepare(op);
  if (statement.reader) return { rows: statement.all(op.params) };
  const { changes, lastInsertRowid } = statement.run(op.params);
  return { changes, lastInsertRowid };
}

function runBatch(ops) {
  const outcomes = new Array(ops.length);
  let first = 0;
  // Batches never arrive during an explicit transaction; one still open was left by a COMMIT that failed.
  if (db.inTransaction) db.exec('rollback');
  db.exec('begin');
  for (let i = 0; i < ops.length; i++) {
    try {
      outcomes[i] = execute(ops[i]);
    } catch (err) {
      outcomes[i] = failure(err);
      if (!db.inTransaction) {
        for (let j = first; j < i; j++) outcomes[j] = outcomes[i];
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

function opsOf(message) {
  return message.json !== undefined ? JSON.parse(message.json) : message.ops;
}

// Outcomes go back as one JSON string (faster to clone) unless a row holds a value JSON would alter.
function safe(value) {
  return value === null || typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value));
}
function reply(id, outcomes) {
  const jsonSafe = outcomes.every((outcome) => !outcome.rows || outcome.rows.every((row) => Object.values(row).every(safe)));
  let json;
  try {
    if (jsonSafe) json = JSON.stringify(outcomes);
  } catch {
    // a bigint rowid, say: sent as it is
  }
  parentPort.postMessage(json !== undefined ? { id, json } : { id, outcomes });
}

function answer(message) {
  if (message.forget) {
    texts = new Map();
    statements = new Map();
  }
  let outcomes;
  try {
    if (message.kind === 'batch') outcomes = runBatch(opsOf(message));
    else if (message.kind === 'one') outcomes = [execute(message.op)];
    else if (message.kind === 'close') {
      db.close();
      outcomes = [];
    }
  } catch (err) {
    outcomes = (message.kind === 'batch' ? opsOf(message) : [message.op]).map(() => failure(err));
  }
  reply(message.id, outcomes);
}

// Batches that queued up while the last commit ran are committed together:
// the busier the writer, the fewer commits (and the fewer times each hot page
// is written). Messages keep their order; other kinds are answered on their own.
parentPort.on('message', (first) => {
  let message = first;
  while (message) {
    if (message.kind !== 'batch') {
      answer(message);
      if (message.kind === 'close') return;
      message = receiveMessageOnPort(parentPort)?.message;
      continue;
    }
    const batches = [message];
    message = receiveMessageOnPort(parentPort)?.message;
    while (message && message.kind === 'batch' && !message.forget) {
      batches.push(message);
      message = receiveMessageOnPort(parentPort)?.message;
    }
    if (batches.length === 1) {
      answer(batches[0]);
      continue;
    }
    if (batches[0].forget) {
      texts = new Map();
      statements = new Map();
    }
    const parsed = batches.map(opsOf);
    const ops = parsed.flat();
    let outcomes;
    try {
      outcomes = runBatch(ops);
    } catch (err) {
      outcomes = ops.map(() => failure(err));
    }
    let at = 0;
    batches.forEach((batch, i) => {
      const count = parsed[i].length;
      reply(batch.id, outcomes.slice(at, at + count));
      at += count;
    });
  }
});
`;
