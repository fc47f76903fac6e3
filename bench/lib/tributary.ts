/**
 * Runs the real server the way an operator would: `node dist/cli/main.js
 * serve` in its own process, on a fresh store, configured only through its
 * environment.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { options as serverOptions } from '../../src/config/options.js';
import { onCleanup } from './cleanup.js';
import { freePort, spawnChild, waitForHttp, type Child } from './processes.js';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const ENTRY = path.join(REPO_ROOT, 'dist/cli/main.js');

export type StoreKind = 'sqlite' | 'postgres';
export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test';

export interface TributaryOptions {
  readonly store: StoreKind;
  /** PostgreSQL server to create the bench schema in; BENCH_DATABASE_URL or the local default otherwise. */
  readonly databaseUrl?: string;
  /** Extra settings, e.g. { RATE_LIMIT_MAX: '0' }; they win over the bench's own. */
  readonly env?: Readonly<Record<string, string>>;
  /** Flags for node itself, e.g. ['--cpu-prof', '--cpu-prof-dir', dir]. */
  readonly nodeArgs?: readonly string[];
  /** The CPU core to run it on (taskset -c); any core when undefined. */
  readonly core?: number;
}

export interface Tributary {
  readonly url: string;
  readonly child: Child;
  readonly adminEmail: string;
  readonly adminPassword: string;
  /** Where the data lives, for the report: a directory or a database and schema. */
  readonly storeDescription: string;
  /** The settings the server was started with (secrets left out), for the report. */
  readonly settings: Readonly<Record<string, string>>;
}

/**
 * The node flags `npm start` gives the server (package.json scripts.start), so
 * the benchmarks measure the server as its users start it.
 */
export function startFlags(): string[] {
  const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts?: { start?: string } };
  const words = (pkg.scripts?.start ?? '').trim().split(/\s+/);
  const entry = words.indexOf(path.relative(REPO_ROOT, ENTRY));
  if (words[0] !== 'node' || entry < 1) throw new Error(`package.json scripts.start is not "node [flags] dist/cli/main.js serve": ${pkg.scripts?.start ?? '(missing)'}`);
  return words.slice(1, entry);
}

/** How the benchmarks start the server, for their reports. */
export function serverCommand(extraFlags: readonly string[] = [], core?: number): string {
  const pin = core === undefined ? [] : ['taskset', '-c', String(core)];
  return [...pin, 'node', ...startFlags(), ...extraFlags, 'dist/cli/main.js', 'serve'].join(' ');
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    newest = Math.max(newest, fs.statSync(path.join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

/** Builds dist/ when it is missing or older than any file under src/, so we never measure stale code. */
export async function ensureBuilt(log: (line: string) => void): Promise<void> {
  const built = fs.existsSync(ENTRY) ? fs.statSync(ENTRY).mtimeMs : 0;
  if (built >= newestMtime(path.join(REPO_ROOT, 'src'))) return;
  log(built === 0 ? 'dist/ is missing: running npm run build' : 'src/ changed since the last build: running npm run build');
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const build = spawnChild({ name: 'npm run build', command: npm, args: ['run', 'build'], cwd: REPO_ROOT });
  const exit = await build.exited;
  if (exit.code !== 0) throw new Error(`npm run build failed:\n${build.tail()}`);
}

async function withPostgres(url: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

function redact(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.host}${parsed.pathname}`;
  } catch {
    return 'the given URL';
  }
}

/** Starts Tributary on a fresh store and waits until /health answers; everything is removed at cleanup. */
export async function startTributary(options: TributaryOptions): Promise<Tributary> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-bench-'));
  onCleanup(() => fs.rmSync(dataDir, { recursive: true, force: true }), { kind: 'rm', path: dataDir });

  const port = await freePort();
  const adminEmail = 'bench@example.com';
  const adminPassword = randomBytes(12).toString('hex');
  const settings: Record<string, string> = { HOST: '127.0.0.1', PORT: String(port), DATA_DIR: dataDir, LOG_LEVEL: 'warn' };
  const secrets: Record<string, string> = { TRIBUTARY_ADMIN_EMAIL: adminEmail, TRIBUTARY_ADMIN_PASSWORD: adminPassword };
  let storeDescription = `SQLite in ${dataDir}`;

  if (options.store === 'postgres') {
    const url = options.databaseUrl ?? process.env.BENCH_DATABASE_URL ?? DEFAULT_DATABASE_URL;
    const schema = `bench_${randomBytes(6).toString('hex')}`;
    try {
      await withPostgres(url, `CREATE SCHEMA "${schema}"`);
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      throw new Error(`Cannot create a schema in PostgreSQL at ${redact(url)} (${reason}); start it or point BENCH_DATABASE_URL at one.`);
    }
    // Registered before the server starts, so a server that dies half-way through migrating is cleaned up too.
    const drop = `DROP SCHEMA IF EXISTS "${schema}" CASCADE`;
    onCleanup(() => withPostgres(url, drop), { kind: 'sql', url, statement: drop });
    secrets.DATABASE_URL = url;
    settings.DATABASE_SCHEMA = schema;
    storeDescription = `PostgreSQL ${redact(url)}, schema ${schema}`;
  }
  Object.assign(settings, options.env);

  // Settings exported in the caller's shell (a DATABASE_URL, say) must not leak into a run that claims a fresh store.
  const inherited = { ...process.env };
  for (const spec of Object.values(serverOptions)) delete inherited[spec.env];

  const child = spawnChild({
    name: 'Tributary',
    command: process.execPath,
    args: [...startFlags(), ...(options.nodeArgs ?? []), ENTRY, 'serve'],
    env: { ...inherited, ...secrets, ...settings },
    cwd: REPO_ROOT,
    core: options.core,
  });
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/health`, child, 60_000);
  return { url, child, adminEmail, adminPassword, storeDescription, settings };
}
