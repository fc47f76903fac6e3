import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { testConfig } from '../../src/config/config.js';
import { createContext, type Context } from '../../src/context.js';
import { openStore } from '../../src/store/open.js';
import type { Store } from '../../src/store/store.js';
import { buildTestApp, type TestApp } from '../support/app.js';
import { services } from '../support/services.js';
import { dropSchema, storeTargets, tempDir } from '../support/stores.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { waitFor } from '../support/wait.js';

describe.each(storeTargets())('GET /health and GET /ready on $name', (target) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp(target);
  });
  afterAll(async () => t?.close().catch(() => {}));

  const get = (url: string) => t.app.inject({ method: 'GET', url });

  it('/ready is 503 until the runtime has started, then 200', async () => {
    const before = await get('/ready');
    expect(before.statusCode).toBe(503);
    expect(before.json()).toEqual({ type: 'ServiceUnavailable', message: 'The runtime has not started' });
    await t.ctx.runtime.start();
    const after = await get('/ready');
    expect(after.statusCode, after.body).toBe(200);
    expect(after.json()).toMatchObject({ status: 'ready', store: target.name });
  });

  it('/health answers 200 without touching the store; /ready is 503 once the store is gone', async () => {
    await t.ctx.store.close();
    const ready = await get('/ready');
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toEqual({ type: 'ServiceUnavailable', message: 'The data store is unavailable' });
    const health = await get('/health');
    expect(health.statusCode).toBe(200);
    expect(health.headers['content-type']).toMatch(/^application\/json/);
    expect(health.json()).toMatchObject({ status: 'ok', store: target.name });
  });
});

describe.runIf(services().postgresUrl)('GET /ready with a silent PostgreSQL', () => {
  const schema = `test_ready_${randomBytes(4).toString('hex')}`;
  let proxy: TcpProxy;
  let store: Store;
  let app: FastifyInstance;
  let ctx: Context;
  const dataDir = tempDir();

  beforeAll(async () => {
    const url = services().postgresUrl!;
    const target = new URL(url);
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    const proxied = new URL(url);
    proxied.port = String(proxy.port);
    // DB_TIMEOUT_MS at its default: /ready must not wait that long.
    store = await openStore({ kind: 'postgres', url: proxied.href, schema, poolSize: 2, timeoutMs: 5000 });
    ctx = await createContext(testConfig({ dataDir }), { store, factories: {} });
    app = await buildApp(ctx);
    await ctx.runtime.start();
  });
  afterAll(async () => {
    await proxy?.resume();
    await ctx?.runtime.stop();
    await app?.close();
    await store?.close();
    await proxy?.close();
    await dropSchema(services().postgresUrl!, schema);
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers 503 within a second while the database is silent, /health 200 at once, and 200 again once it answers', async () => {
    expect((await app.inject({ method: 'GET', url: '/ready' })).statusCode).toBe(200);
    proxy.silence();
    const started = Date.now();
    const ready = await app.inject({ method: 'GET', url: '/ready' });
    expect(ready.statusCode).toBe(503);
    expect(Date.now() - started).toBeLessThan(1500);
    const healthStarted = Date.now();
    expect((await app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
    expect(Date.now() - healthStarted).toBeLessThan(200);
    await proxy.resume();
    await waitFor(async () => ((await app.inject({ method: 'GET', url: '/ready' })).statusCode === 200 ? true : undefined), '/ready to answer 200 again', 6000, 100);
  });
});
