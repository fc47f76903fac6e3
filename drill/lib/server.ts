/**
 * The real server, started as `npm start` starts it (node with the start
 * script's flags, dist/cli/main.js serve), on PORT=0: the port it got is read
 * from its "Tributary is listening" log line. Unlike bench/lib/tributary.ts,
 * the store is the caller's, so that a server killed with SIGKILL can be
 * started again on the same data.
 */
import path from 'node:path';
import { options as serverOptions } from '../../src/config/options.js';
import { describeExit, spawnChild, waitForHttp, type Child } from '../../bench/lib/processes.js';
import { REPO_ROOT, startFlags } from '../../bench/lib/tributary.js';

const ENTRY = path.join(REPO_ROOT, 'dist/cli/main.js');
const TAIL_LINES = 40;

export interface Server {
  readonly url: string;
  readonly child: Child;
  /** Messages the server logged at warn or above (the store says there when it loses the database). */
  readonly warnings: readonly string[];
  /** Each request it answered, as its log says: when the line was read, status, and the time it took by its own clock. */
  readonly completed: readonly { readonly at: number; readonly status: number; readonly responseTime: number }[];
  /** Its last lines of output, to explain a failure. */
  tail(): string;
  /** SIGKILL: no shutdown, no flush, as a crash or the OOM killer would. */
  kill9(): Promise<void>;
}

export async function startServer(name: string, settings: Readonly<Record<string, string>>): Promise<Server> {
  // Settings exported in the caller's shell (a DATABASE_URL, say) must not reach a server given its own store.
  const inherited = { ...process.env };
  for (const spec of Object.values(serverOptions)) delete inherited[spec.env];

  const lines: string[] = [];
  const warnings: string[] = [];
  const completed: { at: number; status: number; responseTime: number }[] = [];
  let pending = '';
  let listening: (url: string) => void = () => {};
  const announced = new Promise<string>((resolve) => (listening = resolve));
  const take = (line: string) => {
    if (line === '') return;
    lines.push(line);
    if (lines.length > TAIL_LINES) lines.shift();
    let entry: { level?: number; msg?: string; url?: string; responseTime?: number; res?: { statusCode?: number } };
    try {
      entry = JSON.parse(line) as typeof entry;
    } catch {
      return;
    }
    if (typeof entry.responseTime === 'number') completed.push({ at: performance.now(), status: entry.res?.statusCode ?? 0, responseTime: entry.responseTime });
    if (entry.msg === 'Tributary is listening' && typeof entry.url === 'string') listening(entry.url);
    if ((entry.level ?? 0) >= 40 && entry.msg) warnings.push(entry.msg);
  };

  const child = spawnChild({
    name,
    command: process.execPath,
    args: [...startFlags(), ENTRY, 'serve'],
    env: { ...inherited, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', ...settings },
    cwd: REPO_ROOT,
    stdout: (chunk) => {
      pending += chunk.toString('utf8');
      const parts = pending.split('\n');
      pending = parts.pop() ?? '';
      parts.forEach(take);
    },
  });
  const tail = () => [...lines, child.tail()].filter(Boolean).join('\n');

  let timer: NodeJS.Timeout | undefined;
  const url = await Promise.race([
    announced,
    child.exited.then((exit) => Promise.reject(new Error(`${describeExit(child, exit)}\n${lines.join('\n')}`))),
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${name} did not say where it listens within 60 s:\n${tail()}`)), 60_000))),
  ]).finally(() => clearTimeout(timer));
  await waitForHttp(`${url}/health`, child, 30_000);

  return {
    url,
    child,
    warnings,
    completed,
    tail,
    async kill9() {
      process.kill(child.pid, 'SIGKILL');
      await child.exited;
    },
  };
}
