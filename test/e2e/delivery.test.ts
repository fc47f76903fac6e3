import { randomBytes } from 'node:crypto';
import http from 'node:http';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { plainBroker, type Broker } from '../support/mqtt-brokers.js';
import { E2E_ADMIN, startTestServer } from '../support/server.js';
import { openSse, type SseClient, type SseEvent } from '../support/sse-client.js';
import { storeTargets } from '../support/stores.js';
import { waitFor } from '../support/wait.js';

interface Retained {
  id: string;
  time: string;
  topic: string;
  message: string;
}

/** SPEC §6 end to end: ids, resumable streams, the retained log, slow readers, stream guards. */
describe.each(storeTargets())('delivery that loses nothing on $name', (target) => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let userToken: string;
  let token: string;
  let appId: string;
  let broker: Broker;
  let peer: mqtt.MqttClient;
  const prefix = `tributary-delivery/${randomBytes(4).toString('hex')}`;
  const streams: SseClient[] = [];

  async function api<T = Record<string, unknown>>(method: string, path: string, body?: unknown, bearer = token): Promise<{ status: number; body: T }> {
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${bearer}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: (await res.json()) as T };
  }

  async function stream(path: string, headers: Record<string, string> = {}, bearer = token): Promise<SseClient> {
    const client = await openSse(`${server.url}${path}`, bearer, headers);
    streams.push(client);
    return client;
  }

  async function connectedIntegration(name: string, topic: string): Promise<string> {
    const res = await api<{ id: string }>('POST', `/applications/${appId}/integrations`, {
      name,
      integrationType: 'mqtt',
      topics: [`${topic}/#`],
      mqttConfig: { host: broker.host, port: broker.port, protocol: 'mqtt' },
    });
    expect(res.status).toBe(201);
    await waitFor(async () => {
      const { body } = await api<{ status: { state?: string; connectInfo?: { ts: number } } }>('GET', `/applications/${appId}/integrations/${res.body.id}`);
      return body.status.connectInfo?.ts !== undefined ? true : undefined;
    }, `${name} to connect`);
    return res.body.id;
  }

  const messages = (client: SseClient) => client.events.filter((e) => e.event === 'integrationMessage');
  const texts = (events: readonly SseEvent[]) => events.map((e) => (JSON.parse(e.data) as { message: string }).message);

  async function publish(topic: string, bodies: readonly string[]): Promise<void> {
    for (const body of bodies) await peer.publishAsync(topic, body, { qos: 1 });
  }

  beforeAll(async () => {
    server = await startTestServer(target, { reconnectBase: 100, reconnectMax: 500, messageRetentionCount: 50, streamsPerToken: 3, sseBuffer: 50 });
    const login = await fetch(`${server.url}/auth/user`, { method: 'POST', body: JSON.stringify(E2E_ADMIN), headers: { 'content-type': 'application/json' } });
    userToken = ((await login.json()) as { token: string }).token;
    appId = (await api<{ id: string }>('POST', '/applications', { name: 'delivery' }, userToken)).body.id;
    token = (await api<{ token: string }>('POST', `/applications/${appId}/tokens`, { name: 'reader' }, userToken)).body.token;
    broker = await plainBroker();
    peer = await mqtt.connectAsync({ ...broker.peerOptions, reconnectPeriod: 0 });
  });

  afterAll(async () => {
    for (const s of streams) s.close();
    await peer?.endAsync();
    await server?.stop();
    await broker?.close();
  });

  it('gives every message an increasing id and resumes after Last-Event-ID with no gap and no duplicate', async () => {
    const topic = `${prefix}/resume`;
    const id = await connectedIntegration('resume', topic);
    const path = `/applications/${appId}/integrations/${id}/messageStream`;
    const first = await stream(path);
    await publish(`${topic}/a`, ['m1', 'm2', 'm3']);
    await first.next((e) => e.data.includes('"m3"'));
    const ids = messages(first).map((e) => e.id!);
    expect(ids).toHaveLength(3);
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(3);
    first.close();

    await publish(`${topic}/a`, ['m4', 'm5']);
    // Resume after m2: m3, m4, m5 replayed, then live.
    const resumed = await stream(path, { 'last-event-id': ids[1]! });
    await resumed.next((e) => e.data.includes('"m5"'));
    await publish(`${topic}/a`, ['m6']);
    await resumed.next((e) => e.data.includes('"m6"'));
    expect(texts(messages(resumed))).toEqual(['m3', 'm4', 'm5', 'm6']);

    // The query parameter works for clients that cannot set headers; the header wins over it.
    const byQuery = await stream(`${path}?lastEventId=${ids[2]!}`);
    await byQuery.next((e) => e.data.includes('"m6"'));
    expect(texts(messages(byQuery))).toEqual(['m4', 'm5', 'm6']);
    byQuery.close();
    const both = await stream(`${path}?lastEventId=${ids[0]!}`, { 'last-event-id': ids[2]! });
    await both.next((e) => e.data.includes('"m6"'));
    expect(texts(messages(both))[0]).toBe('m4');
    both.close();
    resumed.close();

    // The same ids in the collection, newest first by default.
    const list = await api<{ items: Retained[]; totalCount: number; count: number }>('GET', `/applications/${appId}/integrations/${id}/messages`);
    expect(list.status).toBe(200);
    expect(list.body.items.map((m) => m.message)).toEqual(['m6', 'm5', 'm4', 'm3', 'm2', 'm1']);
    expect(list.body.items.at(-1)!.id).toBe(ids[0]);
    const since = await api<{ items: Retained[] }>('GET', `/applications/${appId}/integrations/${id}/messages?since=${ids[1]!}&sortDirection=asc&perPage=2&page=1`);
    expect(since.body.items.map((m) => m.message)).toEqual(['m5', 'm6']);
  });

  it('resumes the application-wide stream across integrations, and refuses cursors it could not have sent', async () => {
    const topic = `${prefix}/wide`;
    const a = await connectedIntegration('wide-a', `${topic}/a`);
    const b = await connectedIntegration('wide-b', `${topic}/b`);
    const wide = await stream(`/applications/${appId}/integrationMessageStream`);
    await publish(`${topic}/a/x`, ['a1']);
    await publish(`${topic}/b/x`, ['b1']);
    await publish(`${topic}/a/x`, ['a2']);
    await wide.next((e) => e.data.includes('"a2"'));
    const seen = messages(wide);
    wide.close();
    await publish(`${topic}/b/x`, ['b2']);
    const resumed = await stream(`/applications/${appId}/integrationMessageStream`, { 'last-event-id': seen[0]!.id! });
    await resumed.next((e) => e.data.includes('"b2"'));
    expect(texts(messages(resumed)).filter((t) => /^[ab]\d$/.test(t))).toEqual(['b1', 'a2', 'b2']);
    resumed.close();

    // An id of integration a is no cursor for integration b; garbage is no cursor at all.
    const other = await fetch(`${server.url}/applications/${appId}/integrations/${b}/messageStream`, { headers: { authorization: `Bearer ${token}`, 'last-event-id': seen[0]!.id! } });
    expect(other.status).toBe(400);
    expect(((await other.json()) as { type: string; message: string }).message).toMatch(/another integration/);
    const garbage = await fetch(`${server.url}/applications/${appId}/integrations/${a}/messageStream?lastEventId=nope`, { headers: { authorization: `Bearer ${token}` } });
    expect(garbage.status).toBe(400);
    expect(((await garbage.json()) as { type: string }).type).toBe('Validation');
    const future = await fetch(`${server.url}/applications/${appId}/integrations/${a}/messageStream`, { headers: { authorization: `Bearer ${token}`, 'last-event-id': '9999999999999999' } });
    expect(future.status).toBe(400);
  });

  it('says messagesLost before replaying from the oldest retained message when the cursor was pruned', async () => {
    const topic = `${prefix}/pruned`;
    const id = await connectedIntegration('pruned', topic);
    const path = `/applications/${appId}/integrations/${id}/messageStream`;
    const watch = await stream(path);
    await publish(`${topic}/x`, ['first']);
    const first = await watch.next((e) => e.data.includes('"first"'));
    watch.close();
    // Retention keeps 50 per integration: 80 more push "first" out.
    await publish(
      `${topic}/x`,
      Array.from({ length: 80 }, (_, i) => `n${i}`),
    );
    await waitFor(async () => {
      const list = await api<{ totalCount: number; items: Retained[] }>('GET', `/applications/${appId}/integrations/${id}/messages?perPage=1&sortDirection=asc`);
      return list.body.totalCount <= 60 && list.body.items[0]?.message !== 'first' ? true : undefined;
    }, 'the log to be pruned');
    const resumed = await stream(path, { 'last-event-id': first.id! });
    await resumed.next((e) => e.data.includes('"n79"'));
    expect(resumed.events[0]!.event).toBe('messagesLost');
    expect(JSON.parse(resumed.events[0]!.data)).toMatchObject({ integrationId: id, reason: expect.stringMatching(/pruned/) as unknown });
    // From the oldest retained message (pruning goes on beside the replay), in order, to the newest.
    const replayed = texts(messages(resumed)).map((t) => Number(t.slice(1)));
    expect(replayed.at(-1)).toBe(79);
    expect(replayed.length).toBeGreaterThanOrEqual(50);
    expect(replayed).toEqual(Array.from({ length: replayed.length }, (_, i) => replayed[0]! + i));
    resumed.close();
  });

  it('never skips a slow reader ahead: it is served from the log and resumes with every message', async () => {
    const topic = `${prefix}/slow`;
    const id = await connectedIntegration('slow', topic);
    const received: string[] = [];
    let buffer = '';
    // A reader that stops reading while messages flow (SSE_BUFFER is 50 here).
    const request = http.get(`${server.url}/applications/${appId}/integrations/${id}/messageStream`, { headers: { authorization: `Bearer ${token}` } });
    const response = await new Promise<http.IncomingMessage>((resolve) => request.on('response', resolve));
    response.setEncoding('utf8');
    response.pause();
    const total = 2000;
    // More than the socket's buffers and the 50 the log keeps (the pruning case itself: test/http/stream-session.test.ts).
    const payload = 'x'.repeat(2000);
    const publisher = await mqtt.connectAsync({ ...broker.peerOptions, reconnectPeriod: 0 });
    for (let i = 0; i < total; i++) publisher.publish(`${topic}/x`, `${i}:${payload}`, { qos: 0 });
    await publisher.endAsync();
    await waitFor(async () => {
      const list = await api<{ totalCount: number }>('GET', `/applications/${appId}/integrations/${id}/messages?perPage=1`);
      return list.body.totalCount >= 50 ? true : undefined;
    }, 'messages to be retained');
    response.on('data', (chunk: string) => {
      buffer += chunk;
      let cut: number;
      while ((cut = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (data && block.includes('event: integrationMessage')) received.push((JSON.parse(data) as { message: string }).message.split(':')[0]!);
        if (block.includes('event: messagesLost')) received.push('lost');
      }
    });
    response.resume();
    const retained = await api<{ items: Retained[] }>('GET', `/applications/${appId}/integrations/${id}/messages?perPage=1`);
    const newest = retained.body.items[0]!.message.split(':')[0]!;
    await waitFor(() => (received.includes(newest) ? true : undefined), 'the slow reader to reach the newest message', 15_000);
    request.destroy();
    // In order, no duplicate, no gap among what it got (the oldest may have been pruned before it read them).
    // In order and without a duplicate; a gap only right after a messagesLost event (the log had pruned what it missed).
    for (let i = 1; i < received.length; i++) {
      if (received[i] === 'lost' || received[i - 1] === 'lost') continue;
      expect(Number(received[i])).toBe(Number(received[i - 1]) + 1);
    }
    // Whether the log pruned what the reader was owed depends on timing; either way nothing is skipped unannounced.
    expect(received.filter((r) => r !== 'lost').length).toBeGreaterThan(50);
  });

  it('caps the streams one token holds and ends them within a second of the token being revoked', async () => {
    const reader = (await api<{ token: string; id: string }>('POST', `/applications/${appId}/tokens`, { name: 'capped' }, userToken)).body;
    const path = `/applications/${appId}/integrationMessageStream`;
    const open = [await stream(path, {}, reader.token), await stream(path, {}, reader.token), await stream(path, {}, reader.token)];
    expect(open.every((s) => s.status === 200)).toBe(true);
    const fourth = await fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${reader.token}` } });
    expect(fourth.status).toBe(429);
    expect(((await fourth.json()) as { type: string }).type).toBe('TooManyRequests');

    const revokedAt = Date.now();
    expect((await api('PATCH', `/applications/${appId}/tokens/${reader.id}`, { status: 'inactive' }, userToken)).status).toBe(200);
    await Promise.all(open.map((s) => s.ended));
    expect(Date.now() - revokedAt).toBeLessThan(1500);

    // Deleting the application ends its streams too.
    const doomed = (await api<{ id: string }>('POST', '/applications', { name: 'doomed' }, userToken)).body.id;
    const onDoomed = await stream(`/applications/${doomed}/integrationMessageStream`, {}, userToken);
    expect(onDoomed.status).toBe(200);
    const deletedAt = Date.now();
    expect((await api('DELETE', `/applications/${doomed}`, undefined, userToken)).status).toBe(200);
    await onDoomed.ended;
    expect(Date.now() - deletedAt).toBeLessThan(1500);
  });
});
