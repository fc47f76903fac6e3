import { randomBytes } from 'node:crypto';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IntegrationStatus } from '../../src/store/store.js';
import { aedesBroker, plainBroker, restartableBroker, type Broker, type RestartableBroker } from '../support/mqtt-brokers.js';
import { E2E_ADMIN, startTestServer } from '../support/server.js';
import { openSse, type SseClient } from '../support/sse-client.js';
import { storeTargets } from '../support/stores.js';
import { waitFor } from '../support/wait.js';
import { wsServer, type WsServer } from '../support/ws-servers.js';

interface Integration {
  id: string;
  status: IntegrationStatus;
  enabled: boolean;
  topics: string[];
}

/** Issue 3 end to end: a real server, real brokers, SSE read by a plain HTTP client. */
describe.each(storeTargets())('live integrations through a real server on $name', (target) => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let token: string;
  let appId: string;
  let broker: Broker;
  let peer: mqtt.MqttClient;
  const prefix = `tributary-e2e/${randomBytes(4).toString('hex')}`;
  const streams: SseClient[] = [];

  async function api<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: (await res.json()) as T };
  }

  const integrationPath = (id: string) => `/applications/${appId}/integrations/${id}`;
  const getIntegration = async (id: string) => (await api<Integration>('GET', integrationPath(id))).body;
  const connectedAfter = (id: string, since: number) =>
    waitFor(async () => {
      const { status } = await getIntegration(id);
      const connectedAt = status.connectInfo?.ts;
      // Connected since `since`, and not since lost again (no retry pending).
      return connectedAt !== undefined && connectedAt !== null && connectedAt >= since && status.nextAttempt === undefined ? status : undefined;
    }, `integration ${id} to report connected`);

  async function stream(path: string): Promise<SseClient> {
    const client = await openSse(`${server.url}${path}`, token);
    streams.push(client);
    return client;
  }

  async function createMqtt(name: string, b: Pick<Broker, 'host' | 'port'>, topics: string[]) {
    const res = await api<Integration>('POST', `/applications/${appId}/integrations`, { name, integrationType: 'mqtt', topics, mqttConfig: { host: b.host, port: b.port, protocol: 'mqtt' } });
    expect(res.status).toBe(201);
    return res.body;
  }

  beforeAll(async () => {
    server = await startTestServer(target, { reconnectBase: 100, reconnectMax: 500, keepalive: 5, connectTimeout: 3000 });
    const login = await fetch(`${server.url}/auth/user`, { method: 'POST', body: JSON.stringify(E2E_ADMIN), headers: { 'content-type': 'application/json' } });
    const user = ((await login.json()) as { token: string }).token;
    token = user;
    appId = (await api<{ id: string }>('POST', '/applications', { name: 'live' })).body.id;
    token = (await api<{ token: string }>('POST', `/applications/${appId}/tokens`, { name: 'live' })).body.token;
    broker = await plainBroker();
    peer = await mqtt.connectAsync({ ...broker.peerOptions, reconnectPeriod: 0 });
  });

  afterAll(async () => {
    for (const s of streams) s.close();
    await peer?.endAsync();
    await server?.stop();
    await broker?.close();
  });

  it('connects, streams what the broker delivers over SSE, and publishes through the broker', async () => {
    const started = Date.now();
    const created = await createMqtt('plain', broker, [`${prefix}/in/#`]);
    const status = await connectedAfter(created.id, started);
    expect(status.lastKeepAlive).toBeGreaterThanOrEqual(started);

    const direct = await stream(`${integrationPath(created.id)}/messageStream?keepAliveInterval=1`);
    expect(direct.status).toBe(200);
    expect(direct.headers['content-type']).toMatch(/^text\/event-stream/);
    const wide = await stream(`/applications/${appId}/integrationMessageStream`);

    await peer.publishAsync(`${prefix}/in/a`, 'hello', { qos: 1 });
    const event = await direct.next((e) => e.event === 'integrationMessage');
    const data = JSON.parse(event.data) as Record<string, string>;
    expect(data).toEqual({ time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/) as string, topic: `${prefix}/in/a`, message: 'hello' });
    const wideEvent = JSON.parse((await wide.next((e) => e.event === 'integrationMessage')).data) as Record<string, string>;
    expect(wideEvent).toMatchObject({ integrationId: created.id, topic: `${prefix}/in/a`, message: 'hello' });

    await peer.publishAsync(`${prefix}/in/bin`, Buffer.from([0xff, 0x00, 0xfe]));
    const binary = JSON.parse((await direct.next((e) => e.data.includes('/in/bin'))).data) as Record<string, string>;
    expect(binary).toMatchObject({ message: Buffer.from([0xff, 0x00, 0xfe]).toString('base64'), encoding: 'base64' });

    await waitFor(() => (direct.comments.some((c) => c.startsWith('keepalive')) ? true : undefined), 'a keep-alive comment', 3000);

    const received = new Promise<string>((resolve) => peer.on('message', (topic, payload) => topic === `${prefix}/out` && resolve(payload.toString())));
    await peer.subscribeAsync(`${prefix}/out`, { qos: 1 });
    const published = await api('POST', `${integrationPath(created.id)}/publish`, { topic: `${prefix}/out`, message: 'from the API' });
    expect(published).toEqual({ status: 200, body: { success: true } });
    expect(await received).toBe('from the API');

    const history = await api<{ items: { type: string }[] }>('GET', `${integrationPath(created.id)}/events`);
    expect(history.body.items[0]?.type).toBe('connected');
  });

  it('moves subscriptions on a topics PATCH without reconnecting, and to another broker on a host PATCH', async () => {
    const created = await createMqtt('moving', broker, [`${prefix}/keep/#`, `${prefix}/drop/#`]);
    const { connectInfo } = await connectedAfter(created.id, 0);
    const direct = await stream(`${integrationPath(created.id)}/messageStream`);

    expect((await api('PATCH', integrationPath(created.id), { topics: [`${prefix}/keep/#`, `${prefix}/new/#`] })).status).toBe(200);
    await waitFor(async () => {
      await peer.publishAsync(`${prefix}/new/x`, 'new', { qos: 1 });
      return direct.events.some((e) => e.data.includes('/new/x')) ? true : undefined;
    }, 'a message on the added topic', 3000, 100);
    await peer.publishAsync(`${prefix}/drop/x`, 'dropped', { qos: 1 });
    await peer.publishAsync(`${prefix}/keep/x`, 'kept', { qos: 1 });
    await direct.next((e) => e.data.includes('/keep/x'));
    expect(direct.events.some((e) => e.data.includes('/drop/x'))).toBe(false);
    expect((await getIntegration(created.id)).status.connectInfo).toEqual(connectInfo);

    const other = await aedesBroker();
    try {
      const moved = Date.now();
      expect((await api('PATCH', integrationPath(created.id), { mqttConfig: { host: other.host, port: other.port, protocol: 'mqtt' } })).status).toBe(200);
      const connected = await connectedAfter(created.id, moved);
      // The new connection is up, and shown by the API, within a second of the PATCH.
      expect(connected.connectInfo!.ts! - moved).toBeLessThan(1000);
      expect(Date.now() - moved).toBeLessThan(1500);
      const otherPeer = await mqtt.connectAsync({ ...other.peerOptions, reconnectPeriod: 0 });
      await otherPeer.publishAsync(`${prefix}/keep/there`, 'on the other broker', { qos: 1 });
      expect(JSON.parse((await direct.next((e) => e.data.includes('/keep/there'))).data)).toMatchObject({ message: 'on the other broker' });
      await otherPeer.endAsync();
    } finally {
      await api('DELETE', integrationPath(created.id));
      await other.close();
    }
  });

  it('reports a broker restart: disconnected with the reason and a next attempt, then connected and resubscribed', async () => {
    const restartable: RestartableBroker = await restartableBroker();
    try {
      const created = await createMqtt('restart', restartable, [`${prefix}/r/#`]);
      await connectedAfter(created.id, 0);
      const direct = await stream(`${integrationPath(created.id)}/messageStream`);

      await restartable.stop();
      const down = await waitFor(async () => {
        const { status } = await getIntegration(created.id);
        return status.nextAttempt !== undefined && status.disconnectInfo?.error ? status : undefined;
      }, 'the disconnect to be reported');
      expect(down.disconnectInfo?.error).toMatch(/closed|refused|reset/i);
      expect(down.nextAttempt).toBeGreaterThan(down.disconnectInfo!.ts!);
      expect((await api('POST', `${integrationPath(created.id)}/publish`, { topic: `${prefix}/r/x`, message: 'x' })).body).toMatchObject({ type: 'ServiceUnavailable' });

      const restarted = Date.now();
      await restartable.start();
      await connectedAfter(created.id, restarted);
      const restartedPeer = await mqtt.connectAsync({ ...restartable.peerOptions, reconnectPeriod: 0 });
      await waitFor(async () => {
        await restartedPeer.publishAsync(`${prefix}/r/again`, 'after restart', { qos: 1 });
        return direct.events.some((e) => e.data.includes('after restart')) ? true : undefined;
      }, 'messages to flow after the restart', 5000, 100);
      await restartedPeer.endAsync();
      const history = await api<{ items: { type: string }[] }>('GET', `${integrationPath(created.id)}/events`);
      expect(history.body.items.map((e) => e.type), JSON.stringify(history.body.items)).toContain('disconnected');
    } finally {
      await restartable.close();
    }
  });

  it('disables (no connection, "disabled", publish refused), re-enables, and ends streams on delete', async () => {
    const created = await createMqtt('toggle', broker, [`${prefix}/t/#`]);
    await connectedAfter(created.id, 0);
    const direct = await stream(`${integrationPath(created.id)}/messageStream`);

    const disabledAt = Date.now();
    await api('PATCH', integrationPath(created.id), { enabled: false });
    const disabled = await waitFor(async () => {
      const { status } = await getIntegration(created.id);
      return status.disconnectInfo?.error === 'disabled' ? status : undefined;
    }, 'the disabled status', 2000);
    expect(disabled.nextAttempt).toBeUndefined();
    expect(Date.now() - disabledAt).toBeLessThan(1000);
    // The list shows it within a second too (status flush plus the list's short cache).
    await waitFor(async () => {
      const list = await api<{ items: Integration[] }>('GET', `/applications/${appId}/integrations?filterField=name&filter=toggle`);
      return list.body.items[0]?.status.disconnectInfo?.error === 'disabled' ? true : undefined;
    }, 'the list to show the disabled status', 1000);
    expect((await api('POST', `${integrationPath(created.id)}/publish`, { topic: `${prefix}/t/x`, message: 'x' })).body).toEqual({ type: 'Validation', message: 'The integration is disabled; enable it to publish' });

    const enabled = Date.now();
    await api('PATCH', integrationPath(created.id), { enabled: true });
    await connectedAfter(created.id, enabled);

    expect((await api('DELETE', integrationPath(created.id))).status).toBe(200);
    await direct.ended;
    expect((await fetch(`${server.url}${integrationPath(created.id)}/messageStream`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(404);
  });

  it('writes the last status on shutdown, so the next start shows it until its own attempt resolves', async () => {
    const own = await startTestServer(target, { reconnectBase: 100, reconnectMax: 500 });
    try {
      const login = await fetch(`${own.url}/auth/user`, { method: 'POST', body: JSON.stringify(E2E_ADMIN), headers: { 'content-type': 'application/json' } });
      const userToken = ((await login.json()) as { token: string }).token;
      const headers = { authorization: `Bearer ${userToken}`, 'content-type': 'application/json' };
      const app = (await (await fetch(`${own.url}/applications`, { method: 'POST', headers, body: JSON.stringify({ name: 'persisted' }) })).json()) as { id: string };
      const body = { name: 'persisted', integrationType: 'mqtt', topics: [`${prefix}/p/#`], mqttConfig: { host: broker.host, port: broker.port, protocol: 'mqtt' } };
      const created = (await (await fetch(`${own.url}/applications/${app.id}/integrations`, { method: 'POST', headers, body: JSON.stringify(body) })).json()) as Integration;
      const connected = await waitFor(async () => {
        const row = await own.ctx.store.integrations.findById(app.id, created.id);
        return row?.status.connectInfo?.ts ? row.status : undefined;
      }, 'the integration to connect');
      await own.close();
      const stored = await own.ctx.store.integrations.findById(app.id, created.id);
      expect(stored?.status).toMatchObject({ connectInfo: connected.connectInfo, disconnectInfo: { error: 'Tributary stopped' } });
      expect(stored?.status.nextAttempt).toBeUndefined();
    } finally {
      await own.stop();
    }
  });

  it('streams a WebSocket server’s text and binary frames and sends published messages to it', async () => {
    const ws: WsServer = await wsServer();
    try {
      const res = await api<Integration>('POST', `/applications/${appId}/integrations`, { name: 'ws', integrationType: 'websocket', websocketConfig: { url: ws.url, headers: [{ headerKey: 'X-Feed', headerValue: 'e2e' }] } });
      expect(res.status).toBe(201);
      await connectedAfter(res.body.id, 0);
      expect(ws.upgrades.at(-1)?.['x-feed']).toBe('e2e');
      const direct = await stream(`${integrationPath(res.body.id)}/messageStream`);

      ws.send('text frame');
      ws.send(Buffer.from('bytes'));
      const text = JSON.parse((await direct.next((e) => e.data.includes('text frame'))).data) as Record<string, string>;
      expect(text).toMatchObject({ topic: '/feed?room=1', message: 'text frame' });
      const binary = JSON.parse((await direct.next((e) => e.data.includes('base64'))).data) as Record<string, string>;
      expect(binary).toMatchObject({ message: Buffer.from('bytes').toString('base64'), encoding: 'base64' });

      expect((await api('POST', `${integrationPath(res.body.id)}/publish`, { message: 'to the server' })).status).toBe(200);
      expect((await ws.waitReceived(0)).data.toString()).toBe('to the server');
    } finally {
      await ws.close();
    }
  });
});
