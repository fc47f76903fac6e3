/**
 * The phases of bench:cluster, each measured through the public API and the
 * broker as a user would see them: every integration connected, delivery to
 * a stream on the holder and on another node, a node killed (takeover), and
 * the killed node started again (rebalance). Node clocks and the bench's are
 * one machine's clock, so a status timestamp can be set against the moment
 * the bench killed a process.
 */
import type { ApiClient } from './api-client.js';
import { percentile } from './arrivals.js';
import { ClientCountWatch } from './broker-sys.js';
import type { Cluster, ClusterNode } from './cluster-nodes.js';
import { parseTimedPayload, timedPayload } from './ingest-runs.js';
import { isConnected, listStatuses, mqttIntegrationBody, type IntegrationStatus, type StatusItem } from './live-integrations.js';
import type { BrokerLog } from './broker-log.js';
import type { Broker } from './mosquitto.js';
import { connectMqtt, endMqtt, subscribe } from './mqtt-client.js';
import { runPool } from './pool.js';
import { openSse } from './sse-reader.js';

const WAIT_MS = 300_000;
const CREATE_CONCURRENCY = 50;
export const SYS_INTERVAL = 1;

type Progress = (line: string) => void;
type NodeStatus = IntegrationStatus & { readonly node?: string };

export const nodeOf = (item: StatusItem) => (item.status as NodeStatus).node;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** Integrations held per node, by status.node. */
export function shares(items: readonly StatusItem[]): Map<string, StatusItem[]> {
  const by = new Map<string, StatusItem[]>();
  for (const item of items) {
    const node = nodeOf(item);
    if (node !== undefined) by.set(node, [...(by.get(node) ?? []), item]);
  }
  return by;
}

/** Every count within ±20 % of their mean (SPEC §8). */
export const balanced = (counts: readonly number[]) => {
  const mean = counts.reduce((sum, n) => sum + n, 0) / Math.max(counts.length, 1);
  return counts.length > 0 && counts.every((n) => Math.abs(n - mean) <= 0.2 * mean);
};

/**
 * Polls the list until `done` holds; the pause between polls keeps the
 * polling from being most of the load. `pending` picks the items still
 * waited for, so progress can count them and show a few statuses.
 */
async function pollList(
  api: ApiClient,
  applicationId: string,
  done: (items: readonly StatusItem[]) => boolean,
  pending: (item: StatusItem) => boolean,
  what: string,
  progress: Progress,
  since: number,
  intervalMs = 1000,
  explain: (item: StatusItem) => string = () => '',
): Promise<{ items: StatusItem[]; at: number }> {
  const deadline = Date.now() + WAIT_MS;
  let printed = Date.now();
  for (;;) {
    const items = await listStatuses(api, applicationId);
    const at = Date.now();
    if (done(items)) return { items, at };
    const waiting = items.filter(pending);
    const sample = waiting.slice(0, 2).map((item) => `${item.id} ${JSON.stringify(item.status)}${explain(item)}`);
    if (at > deadline) throw new Error(`Gave up waiting ${WAIT_MS / 1000} s for ${what}; ${waiting.length} still waited for, such as ${sample.join('; ')}`);
    if (at - printed >= 3000) {
      printed = at;
      progress(`  waiting for ${what}: ${waiting.length.toLocaleString('en-US')} to go after ${seconds(at - since)}${waiting.length <= 10 ? `, such as ${sample.join('; ')}` : ''}`);
    }
    await sleep(intervalMs);
  }
}

export interface ConnectResult {
  readonly count: number;
  readonly createMs: number;
  /** First POST → the latest connectInfo.ts. */
  readonly lastConnectMs: number;
  /** First POST → the first poll that saw every integration connected. */
  readonly observedMs: number;
  readonly perNode: ReadonlyMap<string, number>;
  readonly items: readonly StatusItem[];
  /** Integration id → i (its client id is clientIdOf(i), its topic cluster/i/#). */
  readonly index: ReadonlyMap<string, number>;
}

/** The client id of the bench's i-th integration: fixed, so the broker's log can be read per integration. */
export const clientIdOf = (i: number) => `bench-cluster-${i}`;
export const CLIENT_IDS = /^bench-cluster-\d+$/;

/** Creates `count` MQTT integrations through every node in turn and waits until all are connected. */
export async function connectAll(cluster: Cluster, broker: Broker, log: BrokerLog, applicationId: string, count: number, progress: Progress): Promise<ConnectResult> {
  const watch = await ClientCountWatch.start(broker.url);
  const nodes = cluster.live;
  const start = Date.now();
  const ids = await runPool(count, CREATE_CONCURRENCY, async (i) => {
    const body = mqttIntegrationBody(`cluster-${i}`, broker.host, broker.port, [`cluster/${i}/#`]);
    const config = body.mqttConfig as Record<string, unknown>;
    return (await nodes[i % nodes.length]!.api.post<{ id: string }>(`/applications/${applicationId}/integrations`, { ...body, mqttConfig: { ...config, clientId: clientIdOf(i) } })).id;
  });
  const index = new Map(ids.map((id, i) => [id, i]));
  const createMs = Date.now() - start;
  progress(`  created in ${seconds(createMs)}`);
  await watch.until(count, WAIT_MS, (n) => progress(`  broker: ${(n ?? 0).toLocaleString('en-US')} of ${count.toLocaleString('en-US')} clients after ${seconds(Date.now() - start)}`));
  await watch.stop();
  const shownUp = (item: StatusItem) => isConnected(item.status) && nodeOf(item) !== undefined;
  const explain = (item: StatusItem) => {
    const i = index.get(item.id);
    return i === undefined ? '' : ` (${clientIdOf(i)}; the broker's last words on it: ${log.about(clientIdOf(i)).join(' | ') || 'none'})`;
  };
  const up = await pollList(nodes[0]!.api, applicationId, (items) => items.length === count && items.every(shownUp), (item) => !shownUp(item), 'every integration connected', progress, start, 1000, explain);
  const lastConnect = Math.max(...up.items.map((item) => item.status.connectInfo!.ts));
  const perNode = new Map([...shares(up.items)].map(([node, items]) => [node, items.length]));
  return { count, createMs, lastConnectMs: lastConnect - start, observedMs: up.at - start, perNode, items: up.items, index };
}

export interface DeliveryResult {
  readonly label: string;
  readonly reader: string;
  readonly holder: string;
  readonly sent: number;
  readonly received: number;
  /** msg/s from the first arrival after the warm-up to the last. */
  readonly rate: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

export interface DeliverySpec {
  readonly rate: number;
  readonly seconds: number;
  readonly warmupSeconds: number;
  readonly payloadBytes: number;
}

/**
 * One paced stream of QoS 0 messages to one integration, read at the same
 * time through its messageStream on the holder and on another node (both
 * see the same messages under the same load), and by a plain MQTT
 * subscriber on the broker: the reference for what the machine itself adds.
 */
export async function delivery(broker: Broker, applicationId: string, token: string, topic: string, integrationId: string, readers: readonly { label: string; node: ClusterNode; holder: string }[], spec: DeliverySpec): Promise<{ streams: DeliveryResult[]; reference: DeliveryResult }> {
  const skip = Math.round(spec.rate * spec.warmupSeconds);
  const total = Math.round(spec.rate * spec.seconds);
  const tallies = [...readers, undefined].map(() => ({ latencies: [] as number[], first: 0, last: 0 }));
  const record = (r: number, payload: string) => {
    const now = performance.now();
    const timed = parseTimedPayload(payload);
    if (!timed || timed.seq < skip) return;
    const tally = tallies[r]!;
    if (tally.latencies.length === 0) tally.first = now;
    tally.last = now;
    tally.latencies.push(now - timed.sentAt);
  };
  const streams = readers.map((reader, r) =>
    openSse(`${reader.node.url}/applications/${applicationId}/integrations/${integrationId}/messageStream`, token, (event, data) => {
      if (event === 'integrationMessage') record(r, (JSON.parse(data) as { message: string }).message);
    }),
  );
  await Promise.all(streams.map((stream) => stream.opened));
  const subscriber = await connectMqtt(broker.url, `bench-cluster-reference-${process.pid}`);
  subscriber.on('message', (_topic, payload: Buffer) => record(readers.length, payload.toString('utf8')));
  await subscribe(subscriber, topic);
  const publisher = await connectMqtt(broker.url, `bench-cluster-publisher-${process.pid}`);
  try {
    const start = performance.now();
    let seq = 0;
    // One check per timer tick: each due message goes out as soon as it is due.
    while (seq < total) {
      const due = Math.min(total, Math.floor(((performance.now() - start) * spec.rate) / 1000) + 1);
      for (; seq < due; seq++) publisher.publish(topic, timedPayload(seq, performance.now(), spec.payloadBytes), { qos: 0 });
      await sleep(1);
    }
    const expected = total - skip;
    const deadline = performance.now() + 10_000;
    while (tallies.some((tally) => tally.latencies.length < expected) && performance.now() < deadline) await sleep(20);
  } finally {
    await endMqtt(publisher);
    await endMqtt(subscriber);
    for (const stream of streams) stream.close();
  }
  const result = (r: number, label: string, reader: string, holder: string): DeliveryResult => {
    const tally = tallies[r]!;
    const sorted = [...tally.latencies].sort((a, b) => a - b);
    const span = (tally.last - tally.first) / 1000;
    return {
      label,
      reader,
      holder,
      sent: total - skip,
      received: sorted.length,
      rate: sorted.length > 1 && span > 0 ? (sorted.length - 1) / span : 0,
      p50: percentile(sorted, 50),
      p99: percentile(sorted, 99),
      max: sorted.at(-1) ?? Number.NaN,
    };
  };
  return {
    streams: readers.map((reader, r) => result(r, reader.label, reader.node.id, reader.holder)),
    reference: result(readers.length, 'reference', 'mqtt.js subscriber', 'the broker'),
  };
}

export interface TakeoverResult {
  readonly victim: string;
  readonly share: number;
  /** Kill → connectInfo.ts on the new holder, per integration of the victim's share, sorted. */
  readonly delays: readonly number[];
  /** Kill → the broker's $SYS count back at every integration (lags by up to sys_interval). */
  readonly brokerMs: number;
  /** Kill → the first poll that saw the whole share connected elsewhere. */
  readonly observedMs: number;
  /** Where the share went. */
  readonly to: ReadonlyMap<string, number>;
}

/**
 * Kills `victim` with SIGKILL and waits until every integration it held is
 * connected on another node. The API is polled only once the broker counts
 * every client again: listing thousands of integrations every second would
 * load the nodes doing the takeover.
 */
export async function takeover(cluster: Cluster, broker: Broker, victim: ClusterNode, applicationId: string, total: number, progress: Progress): Promise<TakeoverResult> {
  const reader = cluster.live.find((node) => node !== victim)!;
  const before = await listStatuses(reader.api, applicationId);
  const share = new Set((shares(before).get(victim.id) ?? []).map((item) => item.id));
  const watch = await ClientCountWatch.start(broker.url);
  await watch.until(total, WAIT_MS, () => {});
  progress(`Killing ${victim.id} (SIGKILL), which holds ${share.size.toLocaleString('en-US')} integrations…`);
  const killedAt = Date.now();
  await victim.kill();
  // The kernel closes the dead node's sockets at once; wait for the broker to count them gone, then back.
  while ((watch.count ?? total) >= total && Date.now() - killedAt < 10_000) await sleep(50);
  await watch.until(total, WAIT_MS, (n) => progress(`  broker: ${(n ?? 0).toLocaleString('en-US')} of ${total.toLocaleString('en-US')} clients ${seconds(Date.now() - killedAt)} after the kill`));
  const brokerMs = Date.now() - killedAt;
  await watch.stop();
  const moved = (item: StatusItem) => isConnected(item.status) && nodeOf(item) !== victim.id && item.status.connectInfo!.ts >= killedAt;
  const after = await pollList(reader.api, applicationId, (items) => items.filter((item) => share.has(item.id)).every(moved), (item) => share.has(item.id) && !moved(item), `${victim.id}'s share to be connected elsewhere`, progress, killedAt);
  const taken = after.items.filter((item) => share.has(item.id));
  const delays = taken.map((item) => item.status.connectInfo!.ts - killedAt).sort((a, b) => a - b);
  const to = new Map([...shares(taken)].map(([node, items]) => [node, items.length]));
  return { victim: victim.id, share: share.size, delays, brokerMs, observedMs: after.at - killedAt, to };
}

export interface RebalanceResult {
  readonly joined: string;
  /** Start of the process → /ready answering. */
  readonly readyMs: number;
  /** Start of the process → GET /cluster counting every integration with every live node within ±20 % of the mean. */
  readonly viewBalancedMs: number;
  /** Start of the process → a poll of the list showing every integration connected and status.node within ±20 % per node. */
  readonly balancedMs: number;
  /** Start of the process → the latest connectInfo.ts of what the joined node took. */
  readonly lastMoveMs: number;
  /** Integrations held by the joined node once balanced. */
  readonly moved: number;
  readonly perNode: ReadonlyMap<string, number>;
}

/** Starts `joiner` again and waits until the work is spread within ±20 %, as GET /cluster and then as the statuses say. */
export async function rebalance(cluster: Cluster, joiner: ClusterNode, applicationId: string, total: number, progress: Progress): Promise<RebalanceResult> {
  progress(`Starting ${joiner.id} again…`);
  const started = Date.now();
  const readyMs = await joiner.start(cluster.adminEmail, cluster.adminPassword);
  const reader = cluster.live.find((node) => node !== joiner)!;
  const deadline = Date.now() + WAIT_MS;
  let printed = Date.now();
  for (;;) {
    const { nodes } = await reader.api.get<{ nodes: { id: string; integrations: number }[] }>('/cluster');
    const counts = nodes.map((node) => node.integrations);
    if (nodes.length === cluster.live.length && counts.reduce((sum, n) => sum + n, 0) === total && balanced(counts)) break;
    if (Date.now() > deadline) throw new Error(`Gave up waiting ${WAIT_MS / 1000} s for the nodes to balance; GET /cluster: ${JSON.stringify(nodes)}`);
    if (Date.now() - printed >= 3000) {
      printed = Date.now();
      progress(`  after ${seconds(Date.now() - started)}: ${nodes.map((node) => `${node.id} ${node.integrations}`).join(', ')}`);
    }
    await sleep(250);
  }
  const viewBalancedMs = Date.now() - started;
  const live = cluster.live.length;
  const settled = await pollList(
    reader.api,
    applicationId,
    (items) => {
      const held = shares(items);
      return items.every((item) => isConnected(item.status)) && held.size === live && balanced([...held.values()].map((share) => share.length));
    },
    (item) => !isConnected(item.status),
    'every integration connected and spread within ±20 %',
    progress,
    started,
    500,
  );
  const held = shares(settled.items);
  const taken = held.get(joiner.id) ?? [];
  const perNode = new Map([...held].map(([node, items]) => [node, items.length]));
  return {
    joined: joiner.id,
    readyMs,
    viewBalancedMs,
    balancedMs: settled.at - started,
    lastMoveMs: Math.max(0, ...taken.map((item) => item.status.connectInfo!.ts)) - started,
    moved: taken.length,
    perNode,
  };
}
