import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../support/app.js';
import { storeTargets } from '../support/stores.js';

describe.each(storeTargets())('GET /cluster on $name', (target) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp(target, { nodeId: 'node-under-test' });
    await t.ctx.runtime.start('http://127.0.0.1:9');
  });
  afterAll(async () => t?.close().catch(() => {}));

  it('lists the live nodes to a user token: on SQLite this process alone, on PostgreSQL its registered self', async () => {
    const res = await t.request('GET', '/cluster');
    expect(res.statusCode, res.body).toBe(200);
    const { nodes } = res.json<{ nodes: { id: string; url: string; startedAt: string; lastSeen: string; integrations: number }[] }>();
    expect(nodes).toEqual([{ id: 'node-under-test', url: 'http://127.0.0.1:9', startedAt: expect.any(String) as unknown, lastSeen: expect.any(String) as unknown, integrations: 0 }]);
    expect(Date.parse(nodes[0]!.startedAt)).toBeLessThanOrEqual(Date.parse(nodes[0]!.lastSeen));
  });

  it('refuses application tokens (403) and requests without a token (401)', async () => {
    const applicationId = await t.createApplication();
    const { token } = await t.createToken(applicationId, { name: 'everything', scope: ['all.Application'] });
    const refused = await t.request('GET', '/cluster', { token });
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toMatchObject({ type: 'Forbidden' });
    expect((await t.request('GET', '/cluster', { token: null })).statusCode).toBe(401);
  });
});
