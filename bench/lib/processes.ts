import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import readline from 'node:readline';
import { onCleanup } from './cleanup.js';
import { onCore } from './cores.js';

export interface SpawnSpec {
  /** Shown in errors and reports. */
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /**
   * Takes stdout's raw chunks instead of keeping its lines for tail(), for a
   * child whose output is data (a subscriber printing messages); stderr is kept either way.
   */
  readonly stdout?: (chunk: Buffer) => void;
  /** Runs it on this CPU core only (taskset -c); the pid is still the command's own. */
  readonly core?: number;
}

export interface ExitInfo {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface Child {
  readonly name: string;
  readonly pid: number;
  /** Resolves when the process has exited, for whatever reason. */
  readonly exited: Promise<ExitInfo>;
  isRunning(): boolean;
  /** How many lines the process wrote to stdout and stderr so far. */
  outputLines(): number;
  /** Its last lines of output, to explain a failure. */
  tail(): string;
  /** SIGTERM, then SIGKILL if it has not exited within graceMs. */
  stop(graceMs?: number): Promise<ExitInfo>;
}

const TAIL_LINES = 40;
const live = new Set<ChildProcess>();

// The last line of defence: whatever path leads to exit, no child outlives us.
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** Starts a process whose output is kept (not shown) and which is stopped at cleanup. */
export function spawnChild(spec: SpawnSpec): Child {
  const run = onCore(spec.core, spec.command, spec.args);
  const proc = spawn(run.command, run.args, {
    cwd: spec.cwd,
    env: spec.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (proc.pid === undefined) throw new Error(`Could not start ${spec.name} (${spec.command})`);
  live.add(proc);

  const lines: string[] = [];
  let count = 0;
  const collect = (line: string) => {
    if (line === '') return;
    count += 1;
    lines.push(line);
    if (lines.length > TAIL_LINES) lines.shift();
  };
  if (spec.stdout) proc.stdout?.on('data', spec.stdout);
  for (const stream of spec.stdout ? [proc.stderr] : [proc.stdout, proc.stderr]) {
    if (stream) readline.createInterface({ input: stream, crlfDelay: Infinity }).on('line', collect);
  }

  const exited = new Promise<ExitInfo>((resolve) => {
    proc.once('exit', (code, signal) => {
      live.delete(proc);
      resolve({ code, signal });
    });
  });

  const stop = async (graceMs = 5000): Promise<ExitInfo> => {
    if (proc.exitCode !== null || proc.signalCode !== null) return exited;
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
    try {
      return await exited;
    } finally {
      clearTimeout(timer);
    }
  };
  const unregister = onCleanup(() => stop().then(() => undefined), { kind: 'kill', pid: proc.pid });
  void exited.then(unregister);

  return {
    name: spec.name,
    pid: proc.pid,
    exited,
    isRunning: () => proc.exitCode === null && proc.signalCode === null,
    outputLines: () => count,
    tail: () => lines.join('\n'),
    stop,
  };
}

/** A port nothing listens on right now (the OS picks it; another process could still take it first). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host, port: 0 }, () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port assigned'))));
    });
  });
}

export function describeExit(child: Child, exit: ExitInfo): string {
  const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
  const tail = child.tail();
  return `${child.name} ${how}${tail ? `; its last output:\n${tail}` : ' without output'}`;
}

/**
 * Polls a URL until it answers 2xx. Fails early, with the child's output,
 * if the child exits first: waiting out the timeout would only hide why.
 */
export async function waitForHttp(url: string, child: Child, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    if (!child.isRunning()) throw new Error(describeExit(child, await child.exited));
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await response.arrayBuffer();
      if (response.ok) return;
      last = `status ${response.status}`;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${child.name} did not answer ${url} within ${timeoutMs / 1000} s (${last})`);
}

/**
 * Waits until the server answers `url` quickly again. Closing a load
 * generator's sockets does not cancel the requests the server already read
 * (pipelining hands it hundreds at once), so without this the backlog of one
 * run would be measured as the slowness of the next. Point it at a route
 * that queues like real work does (e.g. one that touches the store).
 */
export async function waitForIdle(url: string, child: Child, quietMs = 25, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    if (!child.isRunning()) throw new Error(describeExit(child, await child.exited));
    const start = performance.now();
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(Math.max(1000, deadline - Date.now())) });
      await response.arrayBuffer();
      const elapsed = performance.now() - start;
      if (response.ok && elapsed < quietMs) return;
      last = response.ok ? `answered in ${elapsed.toFixed(0)} ms` : `status ${response.status}`;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
  }
  throw new Error(`${child.name} was still busy after ${timeoutMs / 1000} s (${url}: ${last})`);
}
