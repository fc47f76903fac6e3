/**
 * A watchdog process that undoes what a benchmark set up when the benchmark
 * dies without doing it itself: SIGKILLed (tsx's signal relay does that to a
 * child that is slow to acknowledge Ctrl-C, and a benchmark's event loop is
 * busy by design), out of memory, or crashed. It is told about each resource
 * over a pipe and acts only if the pipe closes with resources not released.
 * It runs in its own session, so the Ctrl-C that stops the benchmark does
 * not stop it too.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import type { Socket } from 'node:net';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

export type FallbackOp =
  | { readonly kind: 'kill'; readonly pid: number }
  | { readonly kind: 'rm'; readonly path: string }
  | { readonly kind: 'sql'; readonly url: string; readonly statement: string };

type Message = { readonly id: number; readonly op: FallbackOp } | { readonly release: number };

const SELF = fileURLToPath(import.meta.url);
let janitor: ChildProcess | undefined;
let nextId = 0;

function send(message: Message): void {
  janitor ??= startJanitor();
  janitor.stdin?.write(`${JSON.stringify(message)}\n`);
}

function startJanitor(): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', SELF], {
    cwd: path.resolve(path.dirname(SELF), '../..'),
    detached: true,
    stdio: ['pipe', 'ignore', 'inherit'],
  });
  // It must neither keep the benchmark alive nor die with it.
  child.unref();
  (child.stdin as Socket | null)?.unref();
  child.stdin?.on('error', () => {});
  return child;
}

/** Tells the janitor to undo `op` if this process dies first; call the returned function once it is undone. */
export function guard(op: FallbackOp): () => void {
  const id = nextId++;
  send({ id, op });
  let released = false;
  return () => {
    if (released) return;
    released = true;
    send({ release: id });
  };
}

async function undo(op: FallbackOp): Promise<void> {
  switch (op.kind) {
    case 'kill': {
      const alive = () => {
        try {
          process.kill(op.pid, 0);
          return true;
        } catch {
          return false;
        }
      };
      if (!alive()) return;
      process.kill(op.pid, 'SIGTERM');
      for (let waited = 0; waited < 5000 && alive(); waited += 100) await new Promise((resolve) => setTimeout(resolve, 100));
      if (alive()) process.kill(op.pid, 'SIGKILL');
      return;
    }
    case 'rm':
      fs.rmSync(op.path, { recursive: true, force: true });
      return;
    case 'sql': {
      const client = new pg.Client({ connectionString: op.url });
      await client.connect();
      try {
        await client.query(op.statement);
      } finally {
        await client.end();
      }
    }
  }
}

async function watch(): Promise<void> {
  const pending = new Map<number, FallbackOp>();
  for await (const line of readline.createInterface({ input: process.stdin })) {
    const message = JSON.parse(line) as Message;
    if ('release' in message) pending.delete(message.release);
    else pending.set(message.id, message.op);
  }
  // Newest first: processes go before the directories and schemas they were using.
  for (const op of [...pending.values()].reverse()) {
    try {
      await undo(op);
    } catch (err) {
      process.stderr.write(`bench janitor: could not undo ${JSON.stringify(op)}: ${err instanceof Error ? err.message : String(err)}\n`);
    }
  }
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === SELF) {
  await watch();
  process.exit(0);
}
