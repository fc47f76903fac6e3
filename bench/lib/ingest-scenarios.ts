/**
 * The scenarios of bench:ingest. Each measures its reference first, while
 * Tributary holds no subscription that matches the stream, so the broker
 * does the same work for both sides and never feeds the two at once.
 */
import { login, type ApiClient } from './api-client.js';
import { ArrivalCounter } from './arrivals.js';
import type { FloodSpec } from './flood.js';
import { floodSeries, measureFlood, measureLatency, parseTimedPayload, processWatch, repeatFlood, type FloodRun, type FloodSeries, type LatencyRun, type Watch } from './ingest-runs.js';
import { countWhere, createApplication, createIntegrations, isConnected, mqttIntegrationBody, pollUntil, waitUntilConnected } from './live-integrations.js';
import type { Broker } from './mosquitto.js';
import { connectMqtt, endMqtt } from './mqtt-client.js';
import { CommandCpuMeter } from './proc-stats.js';
import { startReferenceSubscriber } from './reference-subscriber.js';
import { openSse } from './sse-reader.js';
import { startTributary, type StoreKind, type Tributary } from './tributary.js';

export interface IngestContext {
  readonly broker: Broker;
  readonly messages: number;
  /** Each flood is measured this many times; the median is quoted. */
  readonly rounds: number;
  readonly payloadBytes: number;
  /** The core Tributary and the reference subscriber run on; undefined when nothing is pinned. */
  readonly serverCore: number | undefined;
  readonly nodeArgs: readonly string[];
  readonly progress: (line: string) => void;
}

/** One Tributary of the run and what the scenarios keep on it. */
export interface Server {
  readonly tributary: Tributary;
  readonly user: ApiClient;
  /** Tributary's process, plus PostgreSQL's when it is the store. */
  readonly watch: Watch;
  /**
   * The topics this server's one-topic integration subscribes to (`bench/t<n>/#`):
   * its own, so no other server of the run and no reference subscriber ever
   * takes a share of the stream meant for another.
   */
  readonly prefix: string;
  /** The integration the one-topic scenarios share, created on first use. */
  single?: { readonly app: { id: string; token: string }; readonly integrationId: string };
}

export interface FloodComparison {
  readonly reference: FloodSeries;
  readonly referenceDescription: string;
  readonly tributary: FloodSeries;
  /** What Tributary's `dropped` and `messagesLost` events told the reader, over every round. */
  readonly told: Told;
}

export interface Told {
  /** Events the SSE buffer dropped (retention off), as `dropped` events counted them. */
  dropped: number;
  /** `messagesLost` events. */
  messagesLost: number;
}

export interface LatencyComparison {
  readonly tributary: LatencyRun;
  readonly reference: LatencyRun;
}

/** The reference's topics: as long as a server's (`bench/t1/…`), matched by none of their subscriptions. */
const REFERENCE_PREFIX = 'bench/r0/';
const CREATE_CONCURRENCY = 50;
let started = 0;

export async function startServer(ctx: IngestContext, store: StoreKind, env: Readonly<Record<string, string>> = {}): Promise<Server> {
  const tributary = await startTributary({ store, env, nodeArgs: ctx.nodeArgs, core: ctx.serverCore });
  const user = await login(tributary.url, tributary.adminEmail, tributary.adminPassword);
  const watch = processWatch({ Tributary: tributary.child.pid, Mosquitto: ctx.broker.pid });
  // The machine's PostgreSQL is not ours to pin; what it spends on the run is Tributary's cost all the same.
  started += 1;
  return { tributary, user, prefix: `bench/t${started}/`, watch: store === 'postgres' ? { ...watch, PostgreSQL: () => new CommandCpuMeter('postgres') } : watch };
}

function floodSpec(ctx: IngestContext, topics: readonly string[], qos: 0 | 1): FloodSpec {
  return { host: ctx.broker.host, port: ctx.broker.port, messages: ctx.messages, topics, payloadBytes: ctx.payloadBytes, qos };
}

/** One flood while an SSE reader of Tributary counts `integrationMessage` events on a fresh stream. */
async function floodOnce(server: Server, path: string, token: string, spec: FloodSpec, told: Told): Promise<FloodRun> {
  const counter = new ArrivalCounter();
  const sse = openSse(server.tributary.url + path, token, (event, data) => {
    if (event === 'integrationMessage') counter.add(performance.now());
    else if (event === 'dropped') told.dropped += (JSON.parse(data) as { count: number }).count;
    else if (event === 'messagesLost') told.messagesLost += 1;
  });
  await sse.opened;
  try {
    return await measureFlood(counter, spec, server.watch);
  } finally {
    sse.close();
  }
}

async function floodReference(ctx: IngestContext, filter: string, probeTopic: string, spec: FloodSpec): Promise<{ series: FloodSeries; description: string }> {
  const reference = await startReferenceSubscriber(ctx.broker, filter, probeTopic, { qos: spec.qos, core: ctx.serverCore });
  const watch: Watch = processWatch(reference.pid === undefined ? { Mosquitto: ctx.broker.pid } : { mosquitto_sub: reference.pid, Mosquitto: ctx.broker.pid });
  try {
    const series = await repeatFlood(ctx.rounds, (round) => {
      ctx.progress(`  reference round ${round + 1} of ${ctx.rounds}`);
      return measureFlood(reference.count(), spec, watch);
    });
    return { series, description: reference.description };
  } finally {
    await reference.stop();
  }
}

/** The integration on the server's own prefix that every one-topic scenario of that server reads. */
async function singleOf(ctx: IngestContext, server: Server): Promise<NonNullable<Server['single']>> {
  if (server.single) return server.single;
  const app = await createApplication(server.user, 'bench-ingest');
  const body = mqttIntegrationBody('ingest', ctx.broker.host, ctx.broker.port, [`${server.prefix}#`]);
  const { id } = await server.user.post<{ id: string }>(`/applications/${app.id}/integrations`, body);
  await waitUntilConnected(server.user, app.id, id);
  return (server.single = { app, integrationId: id });
}

/** (a), (e), (f), (g): one topic, one integration, its own messageStream, at the publisher's QoS. */
export async function singleFlood(ctx: IngestContext, server: Server, qos: 0 | 1): Promise<FloodComparison> {
  ctx.progress(`  reference: ${ctx.messages.toLocaleString('en-US')} QoS ${qos} messages to one plain subscriber…`);
  const topic = `${REFERENCE_PREFIX}flood`;
  const reference = await floodReference(ctx, topic, topic, floodSpec(ctx, [topic], qos));
  ctx.progress('  Tributary: one MQTT integration read through its messageStream…');
  const spec = floodSpec(ctx, [`${server.prefix}flood`], qos);
  const { app, integrationId } = await singleOf(ctx, server);
  const path = `/applications/${app.id}/integrations/${integrationId}/messageStream`;
  const told: Told = { dropped: 0, messagesLost: 0 };
  const tributary = await repeatFlood(ctx.rounds, (round) => {
    ctx.progress(`  Tributary round ${round + 1} of ${ctx.rounds}`);
    return floodOnce(server, path, app.token, spec, told);
  });
  return { reference: reference.series, referenceDescription: reference.description, tributary, told };
}

/** (h): the same QoS 0 flood through two servers that differ in one setting, rounds alternating so drift hits both alike. */
export async function pairedFlood(ctx: IngestContext, servers: readonly [Server, Server]): Promise<[FloodSeries, FloodSeries]> {
  const runs: [FloodRun[], FloodRun[]] = [[], []];
  for (let round = 0; round < ctx.rounds; round++) {
    for (const [i, server] of servers.entries()) {
      ctx.progress(`  round ${round + 1} of ${ctx.rounds}, server ${i + 1} of 2`);
      const { app, integrationId } = await singleOf(ctx, server);
      const spec = floodSpec(ctx, [`${server.prefix}flood`], 0);
      runs[i]!.push(await floodOnce(server, `/applications/${app.id}/integrations/${integrationId}/messageStream`, app.token, spec, { dropped: 0, messagesLost: 0 }));
    }
  }
  return [floodSeries(runs[0]), floodSeries(runs[1])];
}

/** (c): 1,000 msg/s from the bench process, read back through Tributary's SSE, then through mosquitto_sub on the same core. */
export async function latency(ctx: IngestContext, server: Server): Promise<LatencyComparison> {
  const { app, integrationId } = await singleOf(ctx, server);
  const publisher = await connectMqtt(ctx.broker.url, `bench-latency-publisher-${process.pid}`);
  const paced = { publisher, rate: 1000, seconds: 11, warmupSeconds: 1, payloadBytes: ctx.payloadBytes };
  try {
    ctx.progress('  through Tributary…');
    let record: ((seq: number, sentAt: number) => void) | undefined;
    const sse = openSse(`${server.tributary.url}/applications/${app.id}/integrations/${integrationId}/messageStream`, app.token, (event, data) => {
      if (event !== 'integrationMessage' || !record) return;
      const sent = parseTimedPayload((JSON.parse(data) as { message: string }).message);
      if (sent) record(sent.seq, sent.sentAt);
    });
    await sse.opened;
    const tributary = await measureLatency({ ...paced, topic: `${server.prefix}latency` }, server.watch, (r) => {
      record = r;
      return () => (record = undefined);
    }).finally(() => sse.close());

    ctx.progress('  through a plain subscriber…');
    record = undefined;
    const onPayload = (payload: string) => {
      const sent = parseTimedPayload(payload);
      if (sent && record) record(sent.seq, sent.sentAt);
    };
    const topic = `${REFERENCE_PREFIX}latency`;
    const subscriber = await startReferenceSubscriber(ctx.broker, topic, topic, { core: ctx.serverCore, onPayload });
    try {
      const watch = processWatch(subscriber.pid === undefined ? {} : { mosquitto_sub: subscriber.pid });
      const reference = await measureLatency({ ...paced, topic }, watch, (r) => {
        record = r;
        return () => (record = undefined);
      });
      return { tributary, reference };
    } finally {
      await subscriber.stop();
    }
  } finally {
    await endMqtt(publisher);
  }
}

/** (d): one integration per topic, all read through the application-wide stream. */
export async function fanOut(ctx: IngestContext, server: Server, integrations: number): Promise<FloodComparison & { createMs: number; connectMs: number }> {
  const topics = Array.from({ length: integrations }, (_, i) => `bench/${i}/data`);
  const spec = floodSpec(ctx, topics, 0);
  ctx.progress(`  reference: ${ctx.messages.toLocaleString('en-US')} messages over ${integrations} topics to one subscriber on bench/#…`);
  const reference = await floodReference(ctx, 'bench/#', 'bench/probe', spec);

  ctx.progress(`  Tributary: creating ${integrations} integrations (${CREATE_CONCURRENCY} requests in flight)…`);
  const app = await createApplication(server.user, 'bench-fan-out');
  const start = Date.now();
  await createIntegrations(server.user, app.id, integrations, CREATE_CONCURRENCY, (i) => mqttIntegrationBody(`fan-${i}`, ctx.broker.host, ctx.broker.port, [`bench/${i}/#`]));
  const createMs = Date.now() - start;
  const connected = await pollUntil(server.user, app.id, (items) => items.length === integrations && countWhere(items, isConnected) === integrations, {
    timeoutMs: 120_000,
    intervalMs: 250,
    what: `all ${integrations} integrations to be connected`,
  });
  ctx.progress(`  Tributary: ${integrations} integrations connected; flooding, read through integrationMessageStream…`);
  const told: Told = { dropped: 0, messagesLost: 0 };
  const tributary = await repeatFlood(ctx.rounds, (round) => {
    ctx.progress(`  Tributary round ${round + 1} of ${ctx.rounds}`);
    return floodOnce(server, `/applications/${app.id}/integrationMessageStream`, app.token, spec, told);
  });
  return { reference: reference.series, referenceDescription: reference.description, tributary, told, createMs, connectMs: connected.at - start };
}
