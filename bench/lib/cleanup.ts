/**
 * Teardown that runs however a benchmark ends: normal completion, a thrown
 * error, or Ctrl-C. Tasks run last-registered first, so a process started on
 * top of a temporary directory is stopped before the directory is removed.
 */

import { guard, type FallbackOp } from './janitor.js';

type Task = () => Promise<void> | void;

interface Entry {
  readonly task: Task;
  readonly release: () => void;
}

const entries: Entry[] = [];
let running: Promise<void> | undefined;

/**
 * Registers a teardown task; the returned function unregisters it (for
 * resources released early). `fallback`, when given, is what the janitor
 * process does instead should this process die before running the task.
 */
export function onCleanup(task: Task, fallback?: FallbackOp): () => void {
  const entry: Entry = { task, release: fallback ? guard(fallback) : () => {} };
  entries.push(entry);
  return () => {
    const index = entries.indexOf(entry);
    if (index >= 0) entries.splice(index, 1);
    entry.release();
  };
}

/** Runs every task once, even when some fail; a failing task is reported, not rethrown. */
export function cleanup(): Promise<void> {
  running ??= (async () => {
    for (let entry = entries.pop(); entry; entry = entries.pop()) {
      try {
        await entry.task();
        entry.release();
      } catch (err) {
        process.stderr.write(`cleanup: ${err instanceof Error ? err.message : String(err)}\n`);
      }
    }
  })();
  return running;
}

/**
 * On SIGINT/SIGTERM, tear down and exit. A second signal exits at once; the
 * process registry's exit hook still kills the children it knows of.
 */
export function installSignalHandlers(): void {
  let received = 0;
  const handler = (signal: NodeJS.Signals) => {
    received += 1;
    if (received > 1) process.exit(130);
    process.stderr.write(`\n${signal}: stopping child processes and cleaning up…\n`);
    void cleanup().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}
