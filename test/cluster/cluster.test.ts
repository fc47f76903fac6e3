import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { openSse, type SseClient, type SseEvent } from '../support/sse-client.js';
import { services } from '../support/services.js';
import { waitFor } from '../support/wait.js';
import { Cluster, clusterUnavailable, type ClusterNode } from './cluster-harness.js';
import { CLIENT_IDS, clientId, heldBy, isConnected, listAll, mqttBody, topicOf, waitForList, type Integration } from './integrations.js';
import { PrivateMosquitto } from './private-mosquitto.js';

/**
 * SPEC §8 with real processes: three nodes on one fresh PostgreSQL schema and
 * a private Mosquitto whose log is the witness of every connection. The cases
 * run in order on one cluster (each leaves it as the next expects): ownership
 * first, then the API across nodes, then SIGTERM, a join, kill -9 and a node
 * cut off from the database. Throughout, the broker must never see a client
 * id connect while it is still connected.
 */

const LEASE_SECONDS = 4;
const COUNT = 120;
/** SPEC §8: a killed node's integrations are connected elsewhere within 15 s (with LEASE_SECONDS=10; ours is shorter). */
const TAKEOVER_MS = 15_000;
const JOIN_MS = 60_000;
/** A PATCH reaches the connection "within a second"; the slack covers our polling of the broker's log. */
const PATCH_MS = 1_500;

const unavailable = clusterUnavailable();

describe.skipIf(unavailable !== undefined)(`a cluster of three nodes${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  let broker: PrivateMosquitto;
  let cluster: Cluster;
  /** node-a reaches PostgreSQL through this proxy, so the last case can cut it off. */
  let dbProxy: TcpProxy;
  let a: ClusterNode;
  let b: ClusterNode;
  let c: ClusterNode;
  let appId: string;
  let appToken: string;
  /** Index by client id of the integrations the tests created and did not delete. */
  const created = new Map<string, { id: string; i: number }>();
  /** Client ids that are enabled right now: the broker must show each connected exactly once. */
  const enabled = new Set<string>();
  const streams: SseClient[] = [];
  const peers: mqtt.MqttClient[] = [];

  const path = (id: string) => `/applications/${appId}/integrations/${id}`;
  const others = (holder: string) => cluster.live.filter((node) => node.id !== holder);
  const list = () => listAll(cluster.live[0]!, appId);
  const allConnected = (items: readonly Integration[]) => items.filter((item) => item.enabled).every((item) => isConnected(item.status));

  /** The broker's word: no second connection for any id, and each enabled id connected once (and no other). */
  function expectExactlyOnce(): void {
    expect(broker.takeovers(CLIENT_IDS)).toEqual([]);
    const now = broker.connectedNow(CLIENT_IDS);
    expect([...now.entries()].filter(([, n]) => n !== 1)).toEqual([]);
    expect([...now.keys()].sort()).toEqual([...enabled].sort());
  }

  async function stream(node: ClusterNode, url: string, headers: Record<string, string> = {}): Promise<SseClient> {
    const client = await openSse(`${node.base}${url}`, appToken, headers);
    expect(client.status).toBe(200);
    streams.push(client);
    return client;
  }

  async function peer(): Promise<mqtt.MqttClient> {
    const client = await mqtt.connectAsync(broker.url, { clientId: `peer-${peers.length}-${process.pid}`, reconnectPeriod: 0 });
    peers.push(client);
    return client;
  }

  const messagesOf = (client: SseClient) => client.events.filter((event) => event.event === 'integrationMessage');
  const texts = (events: readonly SseEvent[]) => events.map((event) => (JSON.parse(event.data) as { message: string }).message);
  const range = (from: number, to: number, prefix: string) => Array.from({ length: to - from + 1 }, (_, k) => `${prefix}${from + k}`);

  beforeAll(async () => {
    broker = await PrivateMosquitto.start();
    const url = new URL(services().postgresUrl!);
    dbProxy = await startTcpProxy({ host: url.hostname, port: Number(url.port || 5432) });
    const proxied = new URL(url);
    proxied.port = String(dbProxy.port);
    cluster = new Cluster(url.toString(), {
      nodeIds: ['node-a', 'node-b', 'node-c'],
      leaseSeconds: LEASE_SECONDS,
      perNode: { 'node-a': { DATABASE_URL: proxied.toString() } },
    });
    [a, b, c] = cluster.nodes as [ClusterNode, ClusterNode, ClusterNode];
    await cluster.start();
    appId = (await a.call<{ id: string }>('POST', '/applications', { name: 'cluster' })).id;
    appToken = (await a.call<{ token: string }>('POST', `/applications/${appId}/tokens`, { name: 'cluster' })).token;
  }, 120_000);

  afterAll(async () => {
    for (const client of streams) client.close();
    await Promise.all(peers.map((client) => client.endAsync().catch(() => {})));
    await cluster?.destroy();
    await dbProxy?.close();
    await broker?.close();
  }, 60_000);

  it('has a witness that sees a second connection for one client id', async () => {
    // Two clients of our own with one id: what a node that never let go would look like at the broker.
    const first = await mqtt.connectAsync(broker.url, { clientId: 'witness-1', reconnectPeriod: 0 });
    first.on('error', () => {});
    const second = await mqtt.connectAsync(broker.url, { clientId: 'witness-1', reconnectPeriod: 0 });
    await waitFor(() => (broker.takeovers(/^witness-/).length > 0 ? true : undefined), 'the broker to log the takeover', 5_000);
    expect(broker.connectedNow(/^witness-/)).toEqual(new Map([['witness-1', 1]]));
    await second.endAsync();
    first.end(true);
    await waitFor(() => (broker.connectedNow(/^witness-/).size === 0 ? true : undefined), 'witness-1 to be gone', 5_000);
  });

  it('lists its live nodes on GET /cluster, to user tokens only', async () => {
    for (const node of cluster.nodes) {
      const nodes = await cluster.view(node);
      expect(nodes.map((n) => n.id).sort()).toEqual(['node-a', 'node-b', 'node-c']);
      const self = nodes.find((n) => n.id === node.id)!;
      expect(self.url).toBe(node.base);
      expect(new Date(self.startedAt).toISOString()).toBe(self.startedAt);
      expect(new Date(self.lastSeen).toISOString()).toBe(self.lastSeen);
      expect(self.integrations).toBe(0);
    }
    const asApplication = await b.request<{ type: string }>('GET', '/cluster', undefined, appToken);
    expect(asApplication.status).toBe(403);
    expect(asApplication.body.type).toBe('Forbidden');
    expect((await c.request('GET', '/cluster', undefined, '')).status).toBe(401);
  });

  it(`connects each of ${COUNT} integrations created on any node exactly once, and counts them per node`, async () => {
    const nodes = cluster.nodes;
    for (let i = 0; i < COUNT; i += 10) {
      await Promise.all(
        Array.from({ length: 10 }, async (_, k) => {
          const n = i + k;
          const { id } = await nodes[n % nodes.length]!.call<{ id: string }>('POST', `/applications/${appId}/integrations`, mqttBody(n, broker));
          created.set(clientId(n), { id, i: n });
          enabled.add(clientId(n));
        }),
      );
    }
    const items = await waitForList(a, appId, (list) => list.length === COUNT && allConnected(list), `all ${COUNT} connected`, 45_000);
    for (const item of items) expect(['node-a', 'node-b', 'node-c']).toContain(item.status.node);
    // Every node holds some: the cluster shares the work from the start.
    expect([...heldBy(items).keys()].sort()).toEqual(['node-a', 'node-b', 'node-c']);
    expectExactlyOnce();
    // GET /cluster agrees with status.node, on every node.
    const held = heldBy(items);
    for (const via of nodes) {
      const view = await waitFor(async () => {
        const v = await cluster.view(via);
        return v.every((n) => n.integrations === (held.get(n.id)?.length ?? 0)) ? v : undefined;
      }, `GET /cluster on ${via.id} to count what status.node says`, 10_000, 200);
      expect(view.reduce((sum, n) => sum + n.integrations, 0)).toBe(COUNT);
    }
  }, 90_000);

  /** An integration held by `holder` that the tests have not used yet (enabled, untouched topics). */
  const fresh = new Set<string>();
  async function heldOn(holder?: string): Promise<Integration & { i: number }> {
    const items = await list();
    const item = items.find((x) => x.enabled && isConnected(x.status) && (holder === undefined || x.status.node === holder) && !fresh.has(x.id));
    if (!item) throw new Error(`no unused integration held by ${holder ?? 'any node'}`);
    fresh.add(item.id);
    return { ...item, i: created.get(item.mqttConfig.clientId!)!.i };
  }

  it('streams an integration held elsewhere in order, and resumes on a third node with Last-Event-ID', async () => {
    const x = await heldOn();
    const [reader, resumer] = others(x.status.node!) as [ClusterNode, ClusterNode];
    const y = await heldOn(resumer.id);
    const publisher = await peer();
    const publish = async (i: number, from: number, to: number, prefix: string) => {
      for (const text of range(from, to, prefix)) await publisher.publishAsync(`${topicOf(i)}/s`, text, { qos: 1 });
    };

    const one = await stream(reader, `${path(x.id)}/messageStream`);
    const wide = await stream(reader, `/applications/${appId}/integrationMessageStream`);
    await publish(x.i, 1, 20, 'x');
    await publish(y.i, 1, 5, 'y');
    await waitFor(() => (messagesOf(one).length >= 20 ? true : undefined), `20 messages on ${reader.id}`, 10_000);
    expect(texts(messagesOf(one))).toEqual(range(1, 20, 'x'));
    // The application's stream on the same node carries both, one held by the reader's peer, one by the resumer.
    await waitFor(() => (messagesOf(wide).length >= 25 ? true : undefined), `25 messages on the application stream of ${reader.id}`, 10_000);
    const wideTexts = texts(messagesOf(wide));
    expect(wideTexts.filter((t) => t.startsWith('x'))).toEqual(range(1, 20, 'x'));
    expect(wideTexts.filter((t) => t.startsWith('y'))).toEqual(range(1, 5, 'y'));
    one.close();
    wide.close();

    // Missed while no one read; then resumed on the third node from message 15 (and the application's stream from its 10th event).
    await publish(x.i, 21, 25, 'x');
    const resumed = await stream(resumer, `${path(x.id)}/messageStream`, { 'last-event-id': messagesOf(one)[14]!.id! });
    const wideResumed = await stream(resumer, `/applications/${appId}/integrationMessageStream`, { 'last-event-id': messagesOf(wide)[9]!.id! });
    await waitFor(() => (messagesOf(resumed).length >= 10 ? true : undefined), `the replay on ${resumer.id}`, 10_000);
    await publish(x.i, 26, 30, 'x');
    await waitFor(() => (messagesOf(resumed).length >= 15 ? true : undefined), `live messages after the replay on ${resumer.id}`, 10_000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(texts(messagesOf(resumed))).toEqual(range(16, 30, 'x'));
    expect(resumed.events.filter((e) => e.event === 'messagesLost')).toEqual([]);
    await waitFor(() => (messagesOf(wideResumed).length >= 25 ? true : undefined), `the application stream resumed on ${resumer.id}`, 10_000);
    expect(texts(messagesOf(wideResumed))).toEqual([...wideTexts.slice(10), ...range(21, 30, 'x')]);
    expect(wideResumed.events.filter((e) => e.event === 'messagesLost')).toEqual([]);
    // The ids are the same wherever they are read, and so is the retained log.
    const retained = await reader.call<{ items: { id: string; message: string }[] }>('GET', `${path(x.id)}/messages?sortDirection=asc`);
    expect(retained.items.map((m) => m.message)).toEqual(range(1, 30, 'x'));
    expect(retained.items.slice(15).map((m) => m.id)).toEqual(messagesOf(resumed).map((e) => e.id));
  }, 60_000);

  it('publishes through a node that does not hold the integration', async () => {
    const x = await heldOn();
    const subscriber = await peer();
    const received: string[] = [];
    subscriber.on('message', (_topic, payload) => received.push(payload.toString()));
    await subscriber.subscribeAsync(`${topicOf(x.i)}/out/#`, { qos: 1 });
    for (const via of others(x.status.node!)) {
      const answer = await via.request('POST', `${path(x.id)}/publish`, { topic: `${topicOf(x.i)}/out/${via.id}`, message: `via ${via.id}` });
      expect(answer).toEqual({ status: 200, body: { success: true } });
    }
    const expected = others(x.status.node!).map((via) => `via ${via.id}`);
    await waitFor(() => (received.length >= expected.length ? true : undefined), 'the published messages at the broker', 5_000);
    expect(received.sort()).toEqual(expected.sort());
    // The broker got them from the integration's own connection.
    expect(broker.linesAbout(clientId(x.i)).filter((line) => line.startsWith('Received PUBLISH from'))).toHaveLength(expected.length);
  });

  it('applies a PATCH made on one node to the connection another holds within a second', async () => {
    const x = await heldOn();
    const via = others(x.status.node!)[0]!;
    const id = clientId(x.i);
    const mark = broker.lines().length;
    const newTopic = `cluster/patched/${x.i}`;
    const started = Date.now();
    await via.call('PATCH', path(x.id), { topics: [newTopic] });
    // Applied: subscribed to the new filter, and the old one gone (unsubscribed, or a new session without it).
    const applied = () => {
      const lines = broker.linesAbout(id, mark);
      const subscribed = lines.includes(`${id} 1 ${newTopic}`);
      const dropped = lines.includes(`${id} ${topicOf(x.i)}/#`) || lines.some((line) => line.startsWith('New client connected'));
      return subscribed && dropped ? true : undefined;
    };
    await waitFor(applied, `${id} to subscribe to ${newTopic} and drop ${topicOf(x.i)}/#`, 5_000, 25);
    const took = Date.now() - started;
    expect(took).toBeLessThan(PATCH_MS);
    // And the old filter is gone: only the new topic reaches the integration.
    const reader = await stream(via, `${path(x.id)}/messageStream`);
    const publisher = await peer();
    await publisher.publishAsync(`${topicOf(x.i)}/s`, 'old', { qos: 1 });
    await publisher.publishAsync(newTopic, 'new', { qos: 1 });
    await reader.next((event) => event.event === 'integrationMessage', 5_000);
    expect(texts(messagesOf(reader))).toEqual(['new']);
    expectExactlyOnce();
  });

  it('closes the holder\'s connection when another node disables or deletes the integration', async () => {
    const x = await heldOn();
    const id = clientId(x.i);
    const [via, back] = others(x.status.node!) as [ClusterNode, ClusterNode];
    // The status stream on a node that neither holds the integration nor takes the PATCH.
    const statuses = await stream(back, `/applications/${appId}/integrationStatusStream`);
    let started = Date.now();
    await via.call('PATCH', path(x.id), { enabled: false });
    enabled.delete(id);
    await waitFor(() => (broker.connectedNow(CLIENT_IDS).has(id) ? undefined : true), `${id} to disconnect`, 5_000, 25);
    expect(Date.now() - started).toBeLessThan(PATCH_MS);
    // The holder records why (SPEC §4); every node reads it.
    let seen: Integration['status'] = {};
    await waitFor(async () => {
      seen = (await back.call<Integration>('GET', path(x.id))).status;
      return seen.state === 'disabled' && seen.disconnectInfo?.error === 'disabled' ? true : undefined;
    }, 'status.state disabled', 5_000, 100).catch((error: unknown) => {
      throw new Error(`${String(error)}; the status: ${JSON.stringify(seen)}`);
    });
    expect(seen.nextAttempt).toBeUndefined();
    await statuses.next((event) => {
      const data = JSON.parse(event.data) as { integrationId: string; status: Integration['status'] };
      return event.event === 'integrationStatus' && data.integrationId === x.id && data.status.state === 'disabled';
    }, 5_000);
    expectExactlyOnce();

    // Enabled again on the third node: one connection, wherever it lands.
    await back.call('PATCH', path(x.id), { enabled: true });
    enabled.add(id);
    await waitFor(async () => (isConnected((await via.call<Integration>('GET', path(x.id))).status) ? true : undefined), `${id} to connect again`, 10_000, 100);
    expectExactlyOnce();

    // Deleted on a node that does not hold it: the connection closes, and a stream of it on yet another node ends.
    const z = await heldOn();
    const zid = clientId(z.i);
    const [deleter, watcher] = others(z.status.node!) as [ClusterNode, ClusterNode];
    const open = await stream(watcher, `${path(z.id)}/messageStream`);
    started = Date.now();
    await deleter.call('DELETE', path(z.id));
    enabled.delete(zid);
    created.delete(zid);
    await waitFor(() => (broker.connectedNow(CLIENT_IDS).has(zid) ? undefined : true), `${zid} to disconnect`, 5_000, 25);
    expect(Date.now() - started).toBeLessThan(PATCH_MS);
    await expect(Promise.race([open.ended.then(() => 'ended'), new Promise((resolve) => setTimeout(() => resolve('still open'), 2_000))])).resolves.toBe('ended');
    expectExactlyOnce();
  }, 40_000);

  it('hands a node\'s integrations over at once on SIGTERM', async () => {
    const before = await list();
    const share = heldBy(before).get(c.id) ?? [];
    expect(share.length).toBeGreaterThan(0);
    const started = Date.now();
    const exit = c.stop('SIGTERM');
    const after = await waitForList(a, appId, (items) => share.every((s) => {
      const item = items.find((x) => x.id === s.id)!;
      return isConnected(item.status) && item.status.node !== c.id && item.status.connectInfo!.ts >= started;
    }), `${c.id}'s ${share.length} integrations to move`, TAKEOVER_MS);
    const took = Date.now() - started;
    console.log(`[cluster] SIGTERM handover of ${share.length} integrations took ${took} ms (lease ${LEASE_SECONDS} s)`);
    // Well under the lease: nothing waited for it to run out.
    expect(took).toBeLessThan(LEASE_SECONDS * 750);
    expect(await exit).toBe(0);
    expect(allConnected(after)).toBe(true);
    expectExactlyOnce();
    await waitFor(async () => ((await cluster.view(a)).length === 2 ? true : undefined), 'GET /cluster to forget the stopped node', 5_000, 100);
  }, 40_000);

  it(`gives a joining node its share within ${JOIN_MS / 1000} s, moving only what it takes`, async () => {
    const before = new Map((await list()).map((item) => [item.id, item]));
    const started = Date.now();
    await c.start();
    const within20 = (counts: readonly number[]) => {
      const mean = counts.reduce((s, n) => s + n, 0) / counts.length;
      return counts.every((n) => Math.abs(n - mean) <= 0.2 * mean);
    };
    const items = await waitForList(a, appId, (list) => {
      const held = heldBy(list);
      return allConnected(list) && held.size === 3 && within20([...held.values()].map((share) => share.length));
    }, 'every node within ±20 % of the mean', JOIN_MS);
    console.log(`[cluster] a joining node took its share (${heldBy(items).get(c.id)!.length} of ${enabled.size}) in ${Date.now() - started} ms`);
    const moved = items.filter((item) => item.status.node !== before.get(item.id)!.status.node);
    // What stayed was never dropped: the same connection, connected at the same moment.
    for (const item of items.filter((x) => !moved.includes(x))) expect(item.status.connectInfo!.ts).toBe(before.get(item.id)!.status.connectInfo!.ts);
    const strays = moved.filter((item) => item.status.node !== c.id).map((item) => `${item.id}: ${before.get(item.id)!.status.node} → ${JSON.stringify(item.status)}`);
    expect(strays, 'moved elsewhere than to the joining node').toEqual([]);
    expectExactlyOnce();
    const view = await cluster.view(b);
    expect(view.reduce((sum, n) => sum + n.integrations, 0)).toBe(enabled.size);
  }, JOIN_MS + 30_000);

  it(`connects a killed node's integrations elsewhere within ${TAKEOVER_MS / 1000} s, and answers 503 to a publish until then`, async () => {
    const share = heldBy(await list()).get(b.id) ?? [];
    expect(share.length).toBeGreaterThan(0);
    const started = Date.now();
    await b.stop('SIGKILL');
    // Its lease still runs: nobody holds these integrations now.
    const orphan = share[0]!;
    const refused = await a.request<{ type: string }>('POST', `${path(orphan.id)}/publish`, { topic: 'cluster/orphan', message: 'x' });
    expect(Date.now() - started).toBeLessThan(LEASE_SECONDS * 1000);
    expect(refused.status).toBe(503);
    expect(refused.body.type).toBe('ServiceUnavailable');

    const items = await waitForList(a, appId, (list) => share.every((s) => {
      const item = list.find((x) => x.id === s.id)!;
      return isConnected(item.status) && item.status.node !== b.id && item.status.connectInfo!.ts >= started;
    }), `${b.id}'s ${share.length} integrations to be taken over`, TAKEOVER_MS + 5_000);
    const took = Math.max(...share.map((s) => items.find((x) => x.id === s.id)!.status.connectInfo!.ts)) - started;
    console.log(`[cluster] kill -9 takeover of ${share.length} integrations: last connected ${took} ms after the kill (lease ${LEASE_SECONDS} s)`);
    expect(took).toBeLessThan(TAKEOVER_MS);
    expect(allConnected(items)).toBe(true);
    expectExactlyOnce();
    const published = await c.request('POST', `${path(orphan.id)}/publish`, { topic: 'cluster/orphan', message: 'x' });
    expect(published).toEqual({ status: 200, body: { success: true } });
    const view = await waitFor(async () => {
      const v = await cluster.view(c);
      return v.length === 2 ? v : undefined;
    }, 'GET /cluster to forget the killed node', 10_000, 200);
    expect(view.map((n) => n.id).sort()).toEqual(['node-a', 'node-c']);
    expect(view.reduce((sum, n) => sum + n.integrations, 0)).toBe(enabled.size);
  }, TAKEOVER_MS + 30_000);

  it('has a node cut off from the database close its connections before another takes them', async () => {
    const share = heldBy(await list()).get(a.id) ?? [];
    expect(share.length).toBeGreaterThan(0);
    const started = Date.now();
    // A partition: node-a's queries to PostgreSQL go out and nothing comes back.
    dbProxy.silence();
    const items = await waitForList(c, appId, (list) => share.every((s) => {
      const item = list.find((x) => x.id === s.id)!;
      return isConnected(item.status) && item.status.node === c.id && item.status.connectInfo!.ts >= started;
    }), `${a.id}'s ${share.length} integrations to move to ${c.id}`, TAKEOVER_MS + 10_000);
    console.log(`[cluster] partition: ${share.length} integrations on ${c.id} ${Date.now() - started} ms after node-a lost the database`);
    expect(allConnected(items.filter((item) => item.enabled))).toBe(true);
    // The whole file long: never a second connection for one client id.
    expectExactlyOnce();
  }, TAKEOVER_MS + 30_000);
});
