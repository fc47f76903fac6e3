import type { CheckpointerData, CheckpointerReply, CheckpointerRequest } from './sqlite-checkpointer-thread.js';
import { startThread } from './threads.js';

/**
 * WAL checkpoints copy the log into the database file and fsync it. Done only
 * by the writer's auto-checkpoint, each would hold every write waiting for
 * tens of milliseconds. Here a thread with its own connection
 * (sqlite-checkpointer-thread.ts) runs a PASSIVE checkpoint every
 * `intervalMs`, beside the writer, so that when the writer's own checkpoint
 * comes due (it is the one that lets the WAL start over) little is left to
 * copy. WAL + synchronous=NORMAL: a commit survives a process crash; a power
 * loss may lose the last ones, as with SQLite's defaults.
 */
export interface Checkpointer {
  stop(): Promise<void>;
}

export function startCheckpointer(file: string, intervalMs: number, onError: (message: string) => void, busyTimeoutMs = 5000): Checkpointer {
  const workerData: CheckpointerData = { file, intervalMs, busyTimeoutMs };
  const worker = startThread('sqlite-checkpointer-thread', import.meta.url, { workerData });
  worker.unref();
  const stopped = new Promise<void>((resolve) => {
    worker.on('message', (message: CheckpointerReply) => {
      if ('error' in message) onError(message.error);
      else resolve();
    });
    worker.on('exit', () => resolve());
    worker.on('error', (err) => {
      onError(err.message);
      resolve();
    });
  });
  return {
    async stop() {
      const request: CheckpointerRequest = 'stop';
      worker.postMessage(request);
      await stopped;
      await worker.terminate();
    },
  };
}
