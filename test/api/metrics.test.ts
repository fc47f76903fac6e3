import { randomBytes } from 'node:crypto';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectorFactories } from '../../src/runtime/connectors/registry.js';
import { buildTestApp, type TestApp } from '../support/app.js';
import { plainBroker, type Broker } from '../support/mqtt-brokers.js';
import { storeTargets } from '../support/stores.js';
import { waitFor } from '../support/wait.js';

const [sqlite] = storeTargets();

/** The value of the one sample of `name` whose labels include every `labels` pair; undefined when there is none. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

async function scrape(t: TestApp, authorization?: string): Promise<string> {
  const res = await t.app.inject({ method: 'GET', url: '/metrics', headers: authorization ? { authorization } : {} });
  expect(res.statusCode, res.body).toBe(200);
  expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
  return res.body;
}

describe('GET /metrics with a live MQTT integration', () => {
  let t: TestApp;
  let broker: Broker;
  let peer: mqtt.MqttClient;
  let appId: string;
  const prefix = `tributary-metrics/${randomBytes(4).toString('hex')}`;

  beforeAll(async () => {
    broker = await plainBroker();
    t = await buildTestApp(sqlite!, { reconnectBase: 100, reconnectMax: 500 }, { factories: connectorFactories });
    await t.ctx.runtime.start();
    appId = await t.createApplication('metrics');
    peer = await mqtt.connectAsync({ ...broker.peerOptions, reconnectPeriod: 0 });
  });
  afterAll(async () => {
    await peer?.endAsync();
    await t?.close();
    await broker?.close();
  });

  const createMqtt = async (name: string, topics: string[]) => {
    const res = await t.request('POST', `/applications/${appId}/integrations`, { body: { name, integrationType: 'mqtt', topics, mqttConfig: { host: broker.host, port: broker.port, protocol: 'mqtt' } } });
    expect(res.statusCode, res.body).toBe(201);
    return res.json<{ id: string }>().id;
  };

  it('counts connects, messages, bytes and publishes per integration, read at scrape time', async () => {
    const id = await createMqtt('counted', [`${prefix}/in/#`]);
    const labels = { application_id: appId, integration_id: id, type: 'mqtt' };
    await waitFor(async () => (sample(await scrape(t), 'tributary_integration_up', labels) === 1 ? true : undefined), 'the integration to be up');

    const payloads = ['one', 'twenty-two', Buffer.from([0xff, 0x00, 0xfe, 0x01])];
    for (const [i, payload] of payloads.entries()) await peer.publishAsync(`${prefix}/in/${i}`, payload, { qos: 1 });
    const text = await waitFor(async () => {
      const body = await scrape(t);
      return sample(body, 'tributary_integration_messages_received_total', labels) === 3 ? body : undefined;
    }, 'three messages counted');
    expect(sample(text, 'tributary_integration_bytes_received_total', labels)).toBe(3 + 10 + 4);
    expect(sample(text, 'tributary_integration_connects_total', labels)).toBe(1);
    expect(sample(text, 'tributary_integration_disconnects_total', labels)).toBe(0);
    expect(sample(text, 'tributary_integration_messages_published_total', labels)).toBe(0);
    expect(text).toContain('# TYPE tributary_integration_messages_received_total counter');
    expect(text).toContain('# TYPE tributary_integration_up gauge');

    const published = await t.request('POST', `/applications/${appId}/integrations/${id}/publish`, { body: { topic: `${prefix}/out`, message: 'hi' } });
    expect(published.statusCode, published.body).toBe(200);
    expect(sample(await scrape(t), 'tributary_integration_messages_published_total', labels)).toBe(1);

    // Disabling ends the connection: down, one disconnect.
    expect((await t.request('PATCH', `/applications/${appId}/integrations/${id}`, { body: { enabled: false } })).statusCode).toBe(200);
    const disabled = await waitFor(async () => {
      const body = await scrape(t);
      return sample(body, 'tributary_integration_up', labels) === 0 ? body : undefined;
    }, 'the integration to be down');
    expect(sample(disabled, 'tributary_integration_disconnects_total', labels)).toBe(1);
    expect(sample(disabled, 'tributary_integration_messages_received_total', labels)).toBe(3);
  });

  it("removes a deleted integration's series", async () => {
    const id = await createMqtt('doomed', [`${prefix}/doomed`]);
    await waitFor(async () => (sample(await scrape(t), 'tributary_integration_up', { integration_id: id }) === 1 ? true : undefined), 'the integration to be up');
    expect((await t.request('DELETE', `/applications/${appId}/integrations/${id}`)).statusCode).toBe(200);
    const text = await scrape(t);
    expect(text).not.toContain(id);
  });

  it('exports the stream, request and process metrics; routes are patterns, never URLs', async () => {
    expect((await t.request('GET', `/applications/${appId}/integrations`)).statusCode).toBe(200);
    const text = await scrape(t);
    expect(sample(text, 'tributary_sse_clients')).toBe(0);
    expect(sample(text, 'tributary_sse_dropped_events_total')).toBe(0);
    expect(sample(text, 'tributary_http_request_duration_seconds_count', { route: '/applications/:applicationId/integrations', method: 'GET', status_code: '200' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'tributary_http_request_duration_seconds_count', { route: '/applications/:applicationId/integrations', method: 'POST', status_code: '201' })).toBeGreaterThanOrEqual(2);
    expect(text).toMatch(/^tributary_http_request_duration_seconds_bucket\{le="0\.005",route="/m);
    for (const line of text.split('\n').filter((l) => l.startsWith('tributary_http_request_duration_seconds'))) expect(line).not.toContain(appId);
    expect(sample(text, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(sample(text, 'nodejs_heap_size_total_bytes')).toBeGreaterThan(0);
  });
});

describe('GET /metrics settings', () => {
  it('METRICS_TOKEN: 401 without the token or with another, 200 with it', async () => {
    const t = await buildTestApp(sqlite!, { metricsToken: 'scrape-me-please' });
    try {
      for (const authorization of [undefined, 'Bearer wrong', 'Bearer scrape-me-pleasE', 'scrape-me-please', `Bearer ${t.userToken}`]) {
        const res = await t.app.inject({ method: 'GET', url: '/metrics', headers: authorization ? { authorization } : {} });
        expect(res.statusCode, authorization).toBe(401);
        expect(res.json()).toEqual({ type: 'Unauthorized', message: expect.stringContaining('METRICS_TOKEN') as unknown });
      }
      expect(await scrape(t, 'Bearer scrape-me-please')).toContain('tributary_sse_clients');
    } finally {
      await t.close();
    }
  });

  it('METRICS_PER_INTEGRATION=false: totals by type, no integration labels, deleted ones still counted', async () => {
    const broker = await plainBroker();
    const t = await buildTestApp(sqlite!, { metricsPerIntegration: false }, { factories: connectorFactories });
    try {
      await t.ctx.runtime.start();
      const appId = await t.createApplication('totals');
      const ids: string[] = [];
      for (const name of ['a', 'b']) {
        const res = await t.request('POST', `/applications/${appId}/integrations`, { body: { name, integrationType: 'mqtt', topics: [], mqttConfig: { host: broker.host, port: broker.port, protocol: 'mqtt' } } });
        ids.push(res.json<{ id: string }>().id);
      }
      const text = await waitFor(async () => {
        const body = await scrape(t);
        return sample(body, 'tributary_integration_up', { type: 'mqtt' }) === 2 ? body : undefined;
      }, 'both integrations up');
      expect(sample(text, 'tributary_integration_connects_total', { type: 'mqtt' })).toBe(2);
      expect(text).not.toContain('integration_id=');
      expect(text).not.toContain('application_id=');

      expect((await t.request('DELETE', `/applications/${appId}/integrations/${ids[0]!}`)).statusCode).toBe(200);
      const after = await scrape(t);
      expect(sample(after, 'tributary_integration_up', { type: 'mqtt' })).toBe(1);
      // A counter never goes back: the deleted integration's connection still counts.
      expect(sample(after, 'tributary_integration_connects_total', { type: 'mqtt' })).toBe(2);
    } finally {
      await t.close();
      await broker.close();
    }
  });
});
