import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../support/app.js';
import { storeTargets } from '../support/stores.js';

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
