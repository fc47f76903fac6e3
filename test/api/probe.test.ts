import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IntegrationStatus } from '../../src/domain/integration-status.js';
import { connectorFactories } from '../../src/runtime/connectors/registry.js';
import { PROBES_PER_APPLICATION } from '../../src/resources/integrations/probe-route.js';
import { buildTestApp, mqttIntegration, type TestApp } from '../support/app.js';
import { aedesBroker, freePort, plainBroker, silentServer, type Broker } from '../support/mqtt-brokers.js';
import { storeTargets } from '../support/stores.js';
import { waitFor } from '../support/wait.js';

const [sqlite] = storeTargets();
const CREDENTIALS = { username: 'probe-user', password: 'the right password' };

interface ProbeAnswer {
  success: boolean;
  latencyMs?: number;
  error?: string;
}

describe('POST …/integrations/probe', () => {
  let t: TestApp;
  let appId: string;
  let broker: Broker;
  let guarded: Broker;
  const prefix = `tributary-probe/${randomBytes(4).toString('hex')}`;

  beforeAll(async () => {
    broker = await plainBroker();
    guarded = await aedesBroker({ credentials: CREDENTIALS, refuseTopic: (topic) => topic.startsWith('forbidden/') });
    t = await buildTestApp(sqlite!, { connectTimeout: 1000, reconnectBase: 60_000, reconnectMax: 60_000 }, { factories: connectorFactories });
    await t.ctx.runtime.start();
    appId = await t.createApplication('probes');
  });
  afterAll(async () => {
    await t?.close();
    await broker?.close();
    await guarded?.close();
  });

  const body = (mqttConfig: Record<string, unknown>, topics: string[] = [`${prefix}/#`]) => ({ name: 'probe', integrationType: 'mqtt', topics, mqttConfig: { protocol: 'mqtt', host: '127.0.0.1', ...mqttConfig } });
  const probe = async (b: unknown, app = t) => {
    const res = await app.request('POST', `/applications/${appId}/integrations/probe`, { body: b });
    expect(res.statusCode, res.body).toBe(200);
    return res.json<ProbeAnswer>();
  };
  const stored = async () => (await t.request('GET', `/applications/${appId}/integrations`)).json<{ totalCount: number }>().totalCount;
  /** What an integration with this config reports as its first disconnect error. */
  const statusError = async (b: Record<string, unknown>) => {
    const created = await t.request('POST', `/applications/${appId}/integrations`, { body: b });
    const id = created.json<{ id: string }>().id;
    try {
      return await waitFor(async () => {
        const status = (await t.request('GET', `/applications/${appId}/integrations/${id}`)).json<{ status: IntegrationStatus }>().status;
        return status.disconnectInfo?.error;
      }, 'a disconnect error');
    } finally {
      await t.request('DELETE', `/applications/${appId}/integrations/${id}`);
    }
  };

  it('succeeds against a broker, with the latency, and stores nothing', async () => {
    const answer = await probe(body({ port: broker.port }));
    expect(answer).toEqual({ success: true, latencyMs: expect.any(Number) as unknown });
    expect(answer.latencyMs).toBeGreaterThanOrEqual(0);
    expect(answer.latencyMs).toBeLessThan(1000);
    expect(await stored()).toBe(0);
    expect(await t.ctx.store.integrations.list(appId, { sortField: 'id', sortDirection: 'asc', page: 0, perPage: 10 })).toMatchObject({ totalCount: 0 });
  });

  it('fails on a closed port with the reason a status gives', async () => {
    const port = await freePort();
    const answer = await probe(body({ port }));
    expect(answer.success).toBe(false);
    expect(answer.error).toMatch(/ECONNREFUSED/);
    expect(answer.error).toBe(await statusError(body({ port })));
    expect(await stored()).toBe(0);
  });

  it('fails on bad credentials with the reason a status gives', async () => {
    const wrong = body({ port: guarded.port, username: CREDENTIALS.username, password: 'not it' });
    const answer = await probe(wrong);
    expect(answer.success).toBe(false);
    expect(answer.error).toMatch(/username or password/i);
    expect(answer.error).toBe(await statusError(wrong));
    expect(await probe(body({ port: guarded.port, ...CREDENTIALS }))).toMatchObject({ success: true });
  });

  it('fails when a subscription is refused, naming the topic', async () => {
    const answer = await probe(body({ port: guarded.port, ...CREDENTIALS }, ['allowed/#', 'forbidden/x']));
    expect(answer.success).toBe(false);
    expect(answer.error).toMatch(/^Subscription refused: forbidden\/x: /);
  });

  it('gives up after CONNECT_TIMEOUT_MS', async () => {
    const silent = await silentServer();
    try {
      const started = Date.now();
      const answer = await probe(body({ port: silent.port }));
      expect(answer).toEqual({ success: false, error: 'Connection timed out after 1000 ms' });
      expect(Date.now() - started).toBeLessThan(2000);
    } finally {
      await silent.close();
    }
  });

  it(`runs at most ${PROBES_PER_APPLICATION} at once per application (429 beyond)`, async () => {
    const silent = await silentServer();
    try {
      const answers = await Promise.all(
        Array.from({ length: PROBES_PER_APPLICATION + 2 }, () => t.request('POST', `/applications/${appId}/integrations/probe`, { body: body({ port: silent.port }) })),
      );
      const statuses = answers.map((r) => r.statusCode).sort();
      expect(statuses).toEqual([...Array<number>(PROBES_PER_APPLICATION).fill(200), 429, 429]);
      expect(answers.find((r) => r.statusCode === 429)!.json()).toMatchObject({ type: 'TooManyRequests' });
      // Once they are over, the application may test again.
      expect((await probe(body({ port: broker.port }))).success).toBe(true);
    } finally {
      await silent.close();
    }
  });

  it('checks the body as a create does', async () => {
    const missing = await t.request('POST', `/applications/${appId}/integrations/probe`, { body: { name: 'x', integrationType: 'mqtt' } });
    expect(missing.statusCode).toBe(400);
    expect(missing.json<{ message: string }>().message).toContain('mqttConfig');
    const badTopic = await t.request('POST', `/applications/${appId}/integrations/probe`, { body: body({ port: broker.port }, ['a/#/b']) });
    expect(badTopic.statusCode).toBe(400);
    expect(badTopic.json<{ message: string }>().message).toMatch(/^topics\[0\] is not a valid MQTT topic filter/);
    const otherConfig = await t.request('POST', `/applications/${appId}/integrations/probe`, { body: { ...body({ port: 1 }), websocketConfig: { url: 'ws://x' } } });
    expect(otherConfig.statusCode).toBe(400);
  });

  it('answers that a type without a connector does not connect yet', async () => {
    const bare = await buildTestApp(sqlite!, {}, { factories: {} });
    try {
      const app = await bare.createApplication('bare');
      const res = await bare.request('POST', `/applications/${app}/integrations/probe`, { body: mqttIntegration() });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toEqual({ success: false, error: 'Tributary does not connect mqtt integrations yet' });
    } finally {
      await bare.close();
    }
  });
});

describe('the OpenAPI document', () => {
  it('describes the probe and the status stream from the schemas the routes use', async () => {
    const t = await buildTestApp(sqlite!);
    try {
      const doc = (await t.request('GET', '/openapi.json', { token: null })).json<{ paths: Record<string, Record<string, { requestBody?: unknown; responses: Record<string, unknown> }>> }>();
      const probe = doc.paths['/applications/{applicationId}/integrations/probe']?.post;
      expect(JSON.stringify(probe?.requestBody)).toContain('mqttConfig');
      expect(JSON.stringify(probe?.responses['200'])).toContain('latencyMs');
      const stream = doc.paths['/applications/{applicationId}/integrationStatusStream']?.get;
      expect(JSON.stringify(stream?.responses['200'])).toContain('text/event-stream');
    } finally {
      await t.close();
    }
  });
});
