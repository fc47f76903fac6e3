import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../../src/errors.js';
import { openStore } from '../../src/store/open.js';
import type { Store } from '../../src/store/store.js';
import { services } from '../support/services.js';
import { dropSchema } from '../support/stores.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { waitFor } from '../support/wait.js';
import { duration, seed, startLoad, type Call } from './outage-load.js';

const url = services().postgresUrl;
/** DB_TIMEOUT_MS for these stores: small, so a silent database is noticed quickly. */
const TIMEOUT_MS = 500;
/** What a loaded 2-core machine may add to a timer before the answer is seen. */
const SLACK_MS = 1000;
/** The spec: the API recovers by itself within 5 s of the database's return. */
const RECOVERY_MS = 5000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const reason = (error: unknown) => (error instanceof Error ? `${error.message}${error.cause instanceof Error ? ` (${error.cause.message})` : ''}` : '');
const describeCalls = (calls: readonly Call[]) => calls.map((c) => `${c.kind} ${c.outcome ?? 'pending'} after ${duration(c).toFixed(0)} ms ${reason(c.error)}`).join('\n');

/**
 * PostgreSQL behind a proxy of our own, broken on purpose while about 100
 * store calls a second run. Whatever the network does, the process lives on,
 * every call ends within DB_TIMEOUT_MS as a success or a 503, and the store
 * comes back by itself.
 */
describe.runIf(url)('PostgreSQL store when the database goes away', () => {
  const schema = `test_outage_${randomBytes(4).toString('hex')}`;
  let proxy: TcpProxy;
  let store: Store;
  let applicationId: string;
  const uncaught: unknown[] = [];
  const record = (err: unknown) => uncaught.push(err);

  beforeAll(async () => {
    const target = new URL(url!);
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    const proxied = new URL(url!);
    proxied.port = String(proxy.port);
    store = await openStore({ kind: 'postgres', url: proxied.href, schema, poolSize: 4, timeoutMs: TIMEOUT_MS });
    applicationId = await seed(store);
    // An 'error' event nobody listens to ends the process; the monitor sees it before anyone else.
    process.on('uncaughtExceptionMonitor', record);
  });
  afterAll(async () => {
    process.off('uncaughtExceptionMonitor', record);
    await proxy?.resume();
    await store?.close();
    await proxy?.close();
    await dropSchema(url!, schema);
  });
  beforeEach(async () => {
    // Each case starts from a store that works.
    await proxy.resume();
    await waitFor(async () => ((await store.ping().then(() => true, () => false)) ? true : undefined), 'the store to answer', RECOVERY_MS);
  });
  afterEach(() => {
    expect(uncaught, 'errors nobody handled').toEqual([]);
  });

  /** Every call ended as a success or a 503, none took longer than DB_TIMEOUT_MS (plus the machine's slack). */
  const expectBounded = (calls: readonly Call[]) => {
    const slow = calls.filter((c) => c.outcome === 'other' || c.outcome === undefined || duration(c) > TIMEOUT_MS + SLACK_MS);
    expect(slow, describeCalls(slow)).toEqual([]);
  };

  /** The first moment from `t` on after which every call started succeeds, in ms after `t`. */
  const recoveredAfter = (calls: readonly Call[], t: number) => {
    const failed = calls.filter((c) => c.startedAt >= t && c.outcome !== 'ok');
    const last = failed.length ? Math.max(...failed.map((c) => c.startedAt)) : t;
    return last - t;
  };

  it('survives losing its connections in the middle of queries, answers 503, then works again', async () => {
    const load = startLoad(store, applicationId);
    // Queries held up by a lock are under way (their clients checked out of the pool) when the connections go:
    // with the pool's 4 clients taken, at least 2 calls (a list takes 2) are on a connection that breaks.
    const locker = new pg.Client({ connectionString: url! });
    await locker.connect();
    try {
      await waitFor(() => (load.calls.filter((c) => c.outcome === 'ok').length >= 20 ? true : undefined), '20 calls to succeed');
      await locker.query('begin');
      await locker.query(`lock table "${schema}".integrations in access exclusive mode`);
      await waitFor(() => (load.calls.filter((c) => c.outcome === undefined && duration(c) > 50).length >= 4 ? true : undefined), 'calls waiting on the lock');
      const cutAt = performance.now();
      proxy.cut();
      await locker.query('rollback');
      await sleep(1000);
      await waitFor(() => (load.since(cutAt + 500).some((c) => c.outcome === 'ok') ? true : undefined), 'a call to succeed after the cut', RECOVERY_MS);
      const stoppedAt = performance.now();
      await load.stop();
      const underWay = load.calls.filter((c) => c.startedAt < cutAt && c.settledAt! > cutAt);
      expect(underWay.filter((c) => c.outcome === 'unavailable').length, 'calls under way when the connections went').toBeGreaterThanOrEqual(2);
      const broken = load.calls.filter((c) => c.outcome === 'other');
      expect(broken, describeCalls(broken)).toEqual([]);
      expect(recoveredAfter(load.calls, cutAt)).toBeLessThan(Math.min(RECOVERY_MS, stoppedAt - cutAt));
    } finally {
      await locker.end();
    }
    // The change feed lost its connection too, and listens again.
    await waitFor(() => (store.changes?.live ? true : undefined), 'the change feed to listen again', RECOVERY_MS);
  });

  it('answers 503 within DB_TIMEOUT_MS while the database is silent, and recovers once it speaks again', async () => {
    const load = startLoad(store, applicationId);
    await waitFor(() => (load.calls.filter((c) => c.outcome === 'ok').length >= 20 ? true : undefined), '20 calls to succeed');
    const silentAt = performance.now();
    proxy.silence();
    // Long enough for every pooled connection to be given up on, and for new ones to time out too.
    await waitFor(() => (store.changes?.live === false ? true : undefined), 'the change feed to notice', 3000);
    await sleep(Math.max(0, silentAt + 2500 - performance.now()));
    const resumedAt = performance.now();
    await proxy.resume();
    await waitFor(() => (load.since(resumedAt).some((c) => c.outcome === 'ok') ? true : undefined), 'a call to succeed after the silence', RECOVERY_MS);
    await sleep(1000);
    const stoppedAt = performance.now();
    await load.stop();
    const during = load.calls.filter((c) => c.startedAt >= silentAt && c.startedAt < resumedAt);
    expect(during.filter((c) => c.outcome === 'unavailable').length).toBeGreaterThan(50);
    expectBounded(load.since(silentAt));
    expect(recoveredAfter(load.calls, resumedAt)).toBeLessThan(Math.min(RECOVERY_MS, stoppedAt - resumedAt));
    await waitFor(() => (store.changes?.live ? true : undefined), 'the change feed to listen again', RECOVERY_MS);
  });

  it('drops connections whose queries were lost on the way, so they do not fail every query after the database is back', async () => {
    const load = startLoad(store, applicationId);
    await waitFor(() => (load.calls.filter((c) => c.outcome === 'ok').length >= 20 ? true : undefined), '20 calls to succeed');
    const lostAt = performance.now();
    // What is sent now never arrives: the pooled connections wait for answers that will not come.
    proxy.blackhole();
    await sleep(1500);
    const backAt = performance.now();
    await proxy.resume();
    await waitFor(() => (load.since(backAt).some((c) => c.outcome === 'ok') ? true : undefined), 'a call to succeed after the loss', RECOVERY_MS);
    await sleep(3000);
    const stoppedAt = performance.now();
    await load.stop();
    expectBounded(load.since(lostAt));
    // Recovered, and stayed so for the last second at least.
    expect(recoveredAfter(load.calls, backAt)).toBeLessThan(Math.min(RECOVERY_MS, stoppedAt - backAt - 1000));
    await waitFor(() => (store.changes?.live ? true : undefined), 'the change feed to listen again', RECOVERY_MS);
  });

  it('answers 503 at once while the database refuses connections, and recovers once it is back', async () => {
    const load = startLoad(store, applicationId);
    await waitFor(() => (load.calls.filter((c) => c.outcome === 'ok').length >= 20 ? true : undefined), '20 calls to succeed');
    const downAt = performance.now();
    await proxy.refuse();
    await sleep(1500);
    const upAt = performance.now();
    await proxy.resume();
    await waitFor(() => (load.since(upAt).some((c) => c.outcome === 'ok') ? true : undefined), 'a call to succeed after the restart', RECOVERY_MS);
    await sleep(500);
    const stoppedAt = performance.now();
    await load.stop();
    expectBounded(load.since(downAt));
    expect(recoveredAfter(load.calls, upAt)).toBeLessThan(Math.min(RECOVERY_MS, stoppedAt - upAt));
    await expect(store.ping()).resolves.toBeUndefined();
  });

  it('closes within DB_TIMEOUT_MS while the database is silent', async () => {
    const proxied = new URL(url!);
    proxied.port = String(proxy.port);
    const another = await openStore({ kind: 'postgres', url: proxied.href, schema, poolSize: 2, timeoutMs: TIMEOUT_MS });
    // Pooled connections to end, and the change feed's.
    await Promise.all([another.ping(), another.ping()]);
    proxy.silence();
    const started = performance.now();
    await another.close();
    expect(performance.now() - started).toBeLessThan(TIMEOUT_MS + SLACK_MS);
  });

  it('reports a silent database as StoreUnavailableError, not as a bug', async () => {
    proxy.silence();
    const started = performance.now();
    const error = await store.integrations.list(applicationId, { sortField: 'name', sortDirection: 'asc', page: 0, perPage: 10 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect(performance.now() - started).toBeLessThan(TIMEOUT_MS + SLACK_MS);
  });
});
