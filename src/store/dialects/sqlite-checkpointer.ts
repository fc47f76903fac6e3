import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * WAL checkpoints copy the log into the database file and fsync it. Done only
 * by the writer's auto-checkpoint, each would hold every write waiting for
 * tens of milliseconds. Here a thread with its own connection runs a PASSIVE
 * checkpoint every `intervalMs`, beside the writer, so that when the writer's
 * own checkpoint comes due (it is the one that lets the WAL start over) little
 * is left to copy. WAL + synchronous=NORMAL: a commit survives a process
 * crash; a power loss may lose the last ones, as with SQLite's defaults.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file);
db.pragma('busy_timeout = 5000');
const checkpoint = (mode) => {
  try {
    db.pragma('wal_checkpoint(' + mode + ')');
  } catch (err) {
    parentPort.postMessage({ error: String(err && err.message || err) });
  }
};
const timer = setInterval(() => checkpoint('PASSIVE'), workerData.intervalMs);
parentPort.on('message', (message) => {
  if (message !== 'stop') return;
  clearInterval(timer);
  checkpoint('TRUNCATE');
  db.close();
  parentPort.postMessage({ stopped: true });
});
`;

export interface Checkpointer {
  stop(): Promise<void>;
}

export function startCheckpointer(file: string, intervalMs: number, onError: (message: string) => void): Checkpointer {
  const require = createRequire(import.meta.url);
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { file, intervalMs, driver: require.resolve('better-sqlite3') } });
  worker.unref();
  const stopped = new Promise<void>((resolve) => {
    worker.on('message', (message: { error?: string; stopped?: boolean }) => {
      if (message.error) onError(message.error);
      if (message.stopped) resolve();
    });
    worker.on('exit', () => resolve());
    worker.on('error', (err) => {
      onError(err.message);
      resolve();
    });
  });
  return {
    async stop() {
      worker.postMessage('stop');
      await stopped;
      await worker.terminate();
    },
  };
}
