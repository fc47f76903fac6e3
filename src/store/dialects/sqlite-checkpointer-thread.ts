/**
 * The SQLite checkpointer thread (started by sqlite-checkpointer.ts): a
 * connection of its own that runs a PASSIVE checkpoint every `intervalMs`
 * and a TRUNCATE one when told to stop.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

export interface CheckpointerData {
  readonly file: string;
  readonly intervalMs: number;
  readonly busyTimeoutMs: number;
}

export type CheckpointerRequest = 'stop';
export type CheckpointerReply = { readonly error: string } | { readonly stopped: true };

const port = parentPort!;
const data = workerData as CheckpointerData;
const db = new Database(data.file);
db.pragma(`busy_timeout = ${data.busyTimeoutMs}`);

const send = (reply: CheckpointerReply) => port.postMessage(reply);

function checkpoint(mode: 'PASSIVE' | 'TRUNCATE'): void {
  try {
    db.pragma(`wal_checkpoint(${mode})`);
  } catch (err) {
    send({ error: err instanceof Error ? err.message : String(err) });
  }
}

const timer = setInterval(() => checkpoint('PASSIVE'), data.intervalMs);
port.on('message', (message: CheckpointerRequest) => {
  if (message !== 'stop') return;
  clearInterval(timer);
  checkpoint('TRUNCATE');
  db.close();
  send({ stopped: true });
});
