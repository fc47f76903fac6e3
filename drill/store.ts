/**
 * Store drill: what the real server does when its database goes away.
 *
 *   npx tsx drill/store.ts
 *
 * 1. PostgreSQL behind a TCP proxy of our own, about 100 requests a second
 *    (POST an integration, GET the list, in turn): the proxy drops every
 *    connection, later goes silent for 10 s. Printed: how the requests were
 *    answered (503 or hung), the longest answer during the outage, and the
 *    time to recover after the database returns. SPEC §10: 503 within
 *    DB_TIMEOUT_MS, never a hang or a crash, back by itself within 5 s.
 * 2. kill -9 during writes, on SQLite and on PostgreSQL, then a restart on
 *    the same data: every write acknowledged (201) before the kill must be
 *    there. Printed: "acknowledged writes lost: N" (must be 0).
 *
 * Talks only to 127.0.0.1 (PostgreSQL at DRILL_DATABASE_URL, default
 * postgres://postgres@127.0.0.1:5432/test), holds at most a few hundred
 * requests in flight, and stops by itself in about a minute and a half.
 * Builds dist/ first if src/ changed (`--no-build`: run dist/ as it is).
 * Exits 1 when a figure breaks the spec.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { cleanup, installSignalHandlers, onCleanup } from '../bench/lib/cleanup.js';
import { ensureBuilt } from '../bench/lib/tributary.js';
import { startTcpProxy, type TcpProxy } from '../test/support/tcp-proxy.js';
import { recoveryMs, startHttpLoad, summarize, type Answer, type Summary } from './lib/http-load.js';
import { startServer, type Server } from './lib/server.js';

const DATABASE_URL = process.env.DRILL_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
/** The server's own default, so the drill shows what an operator gets. */
const DB_TIMEOUT_MS = 5000;
const RECOVERY_LIMIT_MS = 5000;
const PER_SECOND = 100;
/** A request with no answer after this long counts as hung (and is given up). */
const HUNG_MS = DB_TIMEOUT_MS + 5000;
const MAX_IN_FLIGHT = 400;
const SILENCE_MS = 10_000;
const CUTS = 5;
const ADMIN = { email: 'drill@example.com', password: randomBytes(12).toString('hex') };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const log = (line = '') => process.stdout.write(`${line}\n`);
const ms = (value: number | undefined) => (value === undefined ? 'not recovered' : `${Math.round(value)} ms`);
const problems: string[] = [];

function local(url: string): void {
  const host = new URL(url).hostname;
  if (host !== '127.0.0.1' && host !== 'localhost' && host !== '::1') throw new Error(`The drill talks only to this machine; DRILL_DATABASE_URL names ${host}`);
}

async function withPostgres(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: DATABASE_URL, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

async function freshSchema(): Promise<string> {
  const schema = `drill_${randomBytes(6).toString('hex')}`;
  await withPostgres(`CREATE SCHEMA "${schema}"`);
  onCleanup(() => withPostgres(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`), { kind: 'sql', url: DATABASE_URL, statement: `DROP SCHEMA IF EXISTS "${schema}" CASCADE` });
  return schema;
}

function freshDataDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-drill-'));
  onCleanup(() => fs.rmSync(dir, { recursive: true, force: true }), { kind: 'rm', path: dir });
  return dir;
}

async function api<T>(server: Server, method: string, route: string, token: string | undefined, body?: unknown): Promise<T> {
  const response = await fetch(`${server.url}${route}`, {
    method,
    headers: { accept: 'application/json', 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${route} answered ${response.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text) as T;
}

async function login(server: Server): Promise<string> {
  return (await api<{ token: string }>(server, 'POST', '/auth/user', undefined, ADMIN)).token;
}

async function application(server: Server, token: string): Promise<string> {
  return (await api<{ id: string }>(server, 'POST', '/applications', token, { name: 'drill' })).id;
}

function start(name: string, settings: Record<string, string>): Promise<Server> {
  return startServer(name, { TRIBUTARY_ADMIN_EMAIL: ADMIN.email, TRIBUTARY_ADMIN_PASSWORD: ADMIN.password, DB_TIMEOUT_MS: String(DB_TIMEOUT_MS), ...settings });
}

function describe(summary: Summary): string {
  const others = Object.entries(summary.otherStatus).map(([status, count]) => `${count} × ${status}`);
  if (summary.connectionFailed) others.push(`${summary.connectionFailed} connection failures`);
  const unavailable = summary.unavailable ? ` (in ${Math.round(summary.unavailableMs.median)} ms median, ${Math.round(summary.unavailableMs.longest)} ms at most)` : '';
  return (
    `${summary.requests} requests: ${summary.ok} succeeded, ${summary.unavailable} answered 503${unavailable}, ${summary.hung} hung (no answer within ${HUNG_MS / 1000} s)` +
    (others.length ? `, ${others.join(', ')}` : '') +
    `; longest answer of any kind ${Math.round(summary.longestMs)} ms`
  );
}

/** Requests started in [from, to) or still under way at `from`. */
const around = (answers: readonly Answer[], from: number, to: number) => answers.filter((a) => (a.startedAt >= from && a.startedAt < to) || (a.startedAt < from && (a.endedAt ?? Infinity) > from));

function judge(what: string, summary: Summary, recovered: number | undefined): void {
  if (summary.hung > 0) problems.push(`${what}: ${summary.hung} requests hung`);
  // The timer, the answer's way back and a loaded machine: a little over DB_TIMEOUT_MS is still within it.
  if (summary.unavailableMs.longest > DB_TIMEOUT_MS + 1000) problems.push(`${what}: a 503 took ${Math.round(summary.unavailableMs.longest)} ms`);
  const unexpected = Object.keys(summary.otherStatus);
  if (unexpected.length) problems.push(`${what}: answers other than 2xx and 503 (${unexpected.join(', ')})`);
  if (summary.connectionFailed) problems.push(`${what}: ${summary.connectionFailed} requests found no server`);
  if (recovered === undefined || recovered > RECOVERY_LIMIT_MS) problems.push(`${what}: recovery ${ms(recovered)}`);
}

/** One break of the network under load: `before` ms of normal load, the break, `after` ms more; then the load is stopped and judged. */
async function underLoad(
  server: Server,
  token: string,
  applicationId: string,
  what: string,
  run: () => Promise<{ brokeAt: number; backAt: number }>,
): Promise<void> {
  const load = startHttpLoad({ url: server.url, token, applicationId, perSecond: PER_SECOND, hungMs: HUNG_MS, maxInFlight: MAX_IN_FLIGHT });
  let times: { brokeAt: number; backAt: number };
  try {
    await sleep(3000);
    times = await run();
    await sleep(8000);
  } finally {
    await load.stop();
  }
  const { answers } = load;
  const during = summarize(around(answers, times.brokeAt, times.backAt), DB_TIMEOUT_MS);
  const recovered = recoveryMs(answers, times.backAt);
  const served = server.completed.filter((c) => c.at >= times.brokeAt && c.at <= times.backAt + HUNG_MS);
  const serverLongest = Math.max(0, ...served.map((c) => c.responseTime));
  log(`  during the ${what}: ${describe(during)}`);
  log(`  longest answer by the server's own clock: ${Math.round(serverLongest)} ms; answers slower than DB_TIMEOUT_MS: ${during.slowerThan.count}`);
  if (load.skipped) log(`  ${load.skipped} ticks skipped (${MAX_IN_FLIGHT} requests in flight)`);
  log(`  time to recover after the database returns: ${ms(recovered)}`);
  judge(what, during, recovered);
}

async function outageDrill(): Promise<void> {
  log(`== 1. PostgreSQL outage under load (${PER_SECOND} requests/s, DB_TIMEOUT_MS=${DB_TIMEOUT_MS}) ==`);
  const target = new URL(DATABASE_URL);
  const proxy: TcpProxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
  onCleanup(() => proxy.close());
  const proxied = new URL(DATABASE_URL);
  proxied.port = String(proxy.port);
  const schema = await freshSchema();
  const server = await start('Tributary (PostgreSQL through the proxy)', { DATABASE_URL: proxied.href, DATABASE_SCHEMA: schema, DATA_DIR: freshDataDir() });
  try {
    const token = await login(server);
    const applicationId = await application(server, token);
    log(`server ${server.url}, schema ${schema}, database through 127.0.0.1:${proxy.port}`);

    log(`cut: every connection to the database dropped, ${CUTS} times a second apart (new ones get through at once)`);
    await underLoad(server, token, applicationId, 'cuts', async () => {
      const brokeAt = performance.now();
      for (let i = 0; i < CUTS; i++) {
        if (i > 0) await sleep(1000);
        proxy.cut();
      }
      return { brokeAt, backAt: performance.now() };
    });

    log(`silence: connections stay open but carry nothing, for ${SILENCE_MS / 1000} s`);
    await underLoad(server, token, applicationId, 'silence', async () => {
      const brokeAt = performance.now();
      proxy.silence();
      await sleep(SILENCE_MS);
      const backAt = performance.now();
      await proxy.resume();
      return { brokeAt, backAt };
    });

    const alive = server.child.isRunning();
    log(`server process: ${alive ? 'alive' : 'DEAD'}; its warnings: ${[...new Set(server.warnings)].slice(0, 5).join(' | ') || 'none'}`);
    if (!alive) problems.push(`the server died:\n${server.tail()}`);
  } finally {
    await server.child.stop();
  }
}

async function allIntegrationIds(server: Server, token: string, applicationId: string): Promise<Set<string>> {
  const ids = new Set<string>();
  for (let page = 0; ; page++) {
    const body = await api<{ items: { id: string }[]; totalCount: number }>(server, 'GET', `/applications/${applicationId}/integrations?perPage=1000&page=${page}&sortField=id`, token);
    for (const item of body.items) ids.add(item.id);
    if (body.items.length === 0 || ids.size >= body.totalCount) return ids;
  }
}

async function killDrill(store: 'sqlite' | 'postgres'): Promise<void> {
  const settings: Record<string, string> = { DATA_DIR: freshDataDir() };
  if (store === 'postgres') Object.assign(settings, { DATABASE_URL, DATABASE_SCHEMA: await freshSchema() });
  const first = await start(`Tributary (${store})`, settings);
  const token = await login(first);
  const applicationId = await application(first, token);
  // Writes only, several times the outage drill's rate, so that many are under way at the kill.
  const load = startHttpLoad({ url: first.url, token, applicationId, perSecond: 300, hungMs: HUNG_MS, maxInFlight: MAX_IN_FLIGHT, writesOnly: true });
  await sleep(3000);
  await first.kill9();
  const killedAt = performance.now();
  await load.stop();
  const acknowledged = load.answers.filter((a) => a.status === 201 && a.endedAt! <= killedAt);
  const cut = load.answers.filter((a) => a.status === undefined).length;

  const second = await start(`Tributary (${store}, restarted)`, settings);
  try {
    const stored = await allIntegrationIds(second, await login(second), applicationId);
    const lost = acknowledged.filter((a) => !stored.has(a.id!)).length;
    log(`${store}: ${acknowledged.length} writes acknowledged (201) before kill -9, ${cut} cut off by it; after the restart ${stored.size} stored`);
    log(`${store}: acknowledged writes lost: ${lost}`);
    if (lost > 0) problems.push(`${store}: ${lost} acknowledged writes lost`);
    if (acknowledged.length === 0) problems.push(`${store}: no write was acknowledged before the kill`);
  } finally {
    await second.child.stop();
  }
}

async function main(): Promise<void> {
  installSignalHandlers();
  local(DATABASE_URL);
  // Bounded whatever happens: a drill that hangs is a finding, not a reason to wait forever.
  const deadline = setTimeout(() => {
    process.stderr.write('store drill: still running after 5 minutes, giving up\n');
    void cleanup().finally(() => process.exit(1));
  }, 5 * 60_000);
  deadline.unref();
  if (!process.argv.includes('--no-build')) await ensureBuilt((line) => log(line));
  await outageDrill();
  log();
  log('== 2. kill -9 during writes ==');
  await killDrill('sqlite');
  await killDrill('postgres');
  log();
  if (problems.length) {
    log(`FAILED:\n- ${problems.join('\n- ')}`);
    process.exitCode = 1;
  } else {
    log('OK: 503 within DB_TIMEOUT_MS, nothing hung, recovered within 5 s, no acknowledged write lost');
  }
}

main()
  .catch((err: unknown) => {
    process.stderr.write(`store drill failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  })
  .finally(() => cleanup());
