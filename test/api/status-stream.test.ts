import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IntegrationStatus } from '../../src/domain/integration-status.js';
import { connectorFactories } from '../../src/runtime/connectors/registry.js';
import { buildTestApp, type TestApp } from '../support/app.js';
import { plainBroker, type Broker } from '../support/mqtt-brokers.js';
import { openSse, type SseClient, type SseEvent } from '../support/sse-client.js';
import { storeTargets } from '../support/stores.js';
import { waitFor, within } from '../support/wait.js';

interface StatusData {
  integrationId: string;
  status: IntegrationStatus;
}

const data = (e: SseEvent) => JSON.parse(e.data) as StatusData;
const statusOf = (id: string, match: (s: IntegrationStatus) => boolean) => (e: SseEvent) => e.event === 'integrationStatus' && data(e).integrationId === id && match(data(e).status);

describe.each(storeTargets())('GET …/integrationStatusStream on $name', (target) => {
  let t: TestApp;
  let broker: Broker;
  let baseUrl: string;
  let appId: string;
  const streams: SseClient[] = [];

  beforeAll(async () => {
    broker = await plainBroker();
    t = await buildTestApp(target, { reconnectBase: 100, reconnectMax: 500 }, { factories: connectorFactories });
    await t.ctx.runtime.start();
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    baseUrl = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    appId = await t.createApplication('statuses');
  });
  afterAll(async () => {
    for (const s of streams) s.close();
    await t?.close();
    await broker?.close();
  });

  const open = async (app = appId) => {
    const client = await openSse(`${baseUrl}/applications/${app}/integrationStatusStream?keepAliveInterval=1`, t.userToken);
    streams.push(client);
    return client;
  };
  const create = async (app: string, name: string, body: Record<string, unknown> = {}) => {
    const res = await t.request('POST', `/applications/${app}/integrations`, {
      body: { name, integrationType: 'mqtt', topics: [], mqttConfig: { host: broker.host, port: broker.port, protocol: 'mqtt' }, ...body },
    });
    expect(res.statusCode, res.body).toBe(201);
    return res.json<{ id: string }>().id;
  };
  const connected = (s: IntegrationStatus) => typeof s.connectInfo?.ts === 'number' && s.nextAttempt === undefined && s.disconnectInfo?.error !== 'disabled';

  it('sends one event per integration, then each change as it happens (a disable through the API)', async () => {
    const live = await create(appId, 'live');
    const idle = await create(appId, 'idle', { enabled: false });
    await waitFor(async () => {
      const res = await t.request('GET', `/applications/${appId}/integrations/${live}`);
      return connected(res.json<{ status: IntegrationStatus }>().status) ? true : undefined;
    }, 'the live integration to connect');

    const stream = await open();
    expect(stream.status).toBe(200);
    expect(stream.headers['content-type']).toMatch(/^text\/event-stream/);
    await stream.next(statusOf(live, connected));
    await stream.next(statusOf(idle, () => true));
    const snapshot = stream.events.filter((e) => e.event === 'integrationStatus').map((e) => data(e).integrationId);
    expect(snapshot.sort()).toEqual([live, idle].sort());
    // Never connected: its state is all there is to say, as GET says it.
    expect(data(stream.events.find((e) => data(e).integrationId === idle)!).status).toEqual({ state: 'disabled' });

    const patched = await t.request('PATCH', `/applications/${appId}/integrations/${live}`, { body: { enabled: false } });
    expect(patched.statusCode).toBe(200);
    const change = data(await stream.next(statusOf(live, (s) => s.disconnectInfo?.error === 'disabled'), 2000));
    expect(change.status.nextAttempt).toBeUndefined();
    expect(change.status.state).toBe('disabled');
    // Only the changed integration got a new event.
    expect(stream.events.filter((e) => data(e).integrationId === idle)).toHaveLength(1);

    const sse = await t.app.inject({ method: 'GET', url: '/metrics' });
    expect(sse.body).toMatch(/^tributary_sse_clients [1-9]/m);
  });

  it('shows integrations created after it opened, and stops showing deleted ones', async () => {
    const app = await t.createApplication('comings and goings');
    const stream = await open(app);
    await waitFor(() => (stream.comments.some((c) => c.startsWith('ok')) ? true : undefined), 'the stream to open');
    const doomed = await create(app, 'doomed');
    await stream.next(statusOf(doomed, connected));
    expect((await t.request('DELETE', `/applications/${app}/integrations/${doomed}`)).statusCode).toBe(200);
    const count = stream.events.filter((e) => data(e).integrationId === doomed).length;
    const later = await create(app, 'later', { enabled: false });
    expect(data(await stream.next(statusOf(later, () => true))).status).toEqual({ state: 'disabled' });
    expect(stream.events.filter((e) => data(e).integrationId === doomed)).toHaveLength(count);

    const again = await open(app);
    await again.next(statusOf(later, () => true));
    expect(again.events.map((e) => data(e).integrationId)).toEqual([later]);
  });

  it('ends when its application is deleted', async () => {
    const app = await t.createApplication('short-lived');
    await create(app, 'one', { enabled: false });
    const stream = await open(app);
    await stream.next((e) => e.event === 'integrationStatus');
    expect((await t.request('DELETE', `/applications/${app}`)).statusCode).toBe(200);
    await within(stream.ended, 'the stream to end', 2000);
    // A stream's life is not a request duration.
    const metrics = await t.app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).not.toMatch(/^tributary_http_request_duration_seconds_count\{route="\/applications\/:applicationId\/integrationStatusStream",method="GET",status_code="200"\}/m);
    expect(metrics.body).toMatch(/^tributary_http_request_duration_seconds_count\{route="\/applications\/:applicationId",method="DELETE",status_code="200"\} [1-9]/m);
  });

  it('is refused without a token, and 404 for an application that does not exist', async () => {
    const res = await t.request('GET', `/applications/${appId}/integrationStatusStream`, { token: null });
    expect(res.statusCode).toBe(401);
    const missing = await t.request('GET', `/applications/${'0'.repeat(24)}/integrationStatusStream`);
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toEqual({ type: 'NotFound', message: 'Application was not found' });
  });
});
