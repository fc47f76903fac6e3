/**
 * The scenarios of bench:ingest. Each measures its reference first, while
 * Tributary holds no subscription that matches the stream, so the broker
 * does the same work for both sides and never feeds the two at once.
 */
import type { ApiClient } from './api-client.js';
import { ArrivalCounter } from './arrivals.js';
import type { FloodSpec } from './flood.js';
import { measureFlood, measureLatency, parseTimedPayload, repeatFlood, type FloodSeries, type LatencyRun } from './ingest-runs.js';
import { countWhere, createApplication, createIntegrations, isConnected, mqttIntegrationBody, pollUntil, waitUntilConnected } from './live-integrations.js';
import type { Broker } from './mosquitto.js';
import { connectMqtt, endMqtt, subscribe } from './mqtt-client.js';
import { startReferenceSubscriber } from './reference-subscriber.js';
import { openSse } from './sse-reader.js';
import type { Tributary } from './tributary.js';

export interface IngestContext {
  readonly broker: Broker;
  readonly tributary: Tributary;
  readonly user: ApiClient;
  readonly messages: number;
  /** Each flood is measured this many times; the median round is quoted. */
  readonly rounds: number;
  readonly payloadBytes: number;
  readonly progress: (line: string) => void;
}

export interface FloodComparison {
  readonly reference: FloodSeries;
  readonly referenceDescription: string;
  readonly tributary: FloodSeries;
  /** What Tributary's `dropped` events said it dropped for a slow reader, over every round. */
  readonly dropped: number;
}

/** Where a stream of Tributary's is read from, and who owns it. */
interface StreamTarget {
  readonly path: string;
  readonly token: string;
}

const SINGLE_TOPIC = 'bench/ingest/flood';
const LATENCY_TOPIC = 'bench/ingest/latency';
const REFERENCE_LATENCY_TOPIC = 'bench/reference/latency';
const CREATE_CONCURRENCY = 50;

function floodSpec(ctx: IngestContext, topics: readonly string[]): FloodSpec {
  return { host: ctx.broker.host, port: ctx.broker.port, messages: ctx.messages, topics, payloadBytes: ctx.payloadBytes };
}

/** Floods while an SSE reader of Tributary counts `integrationMessage` events; a fresh stream each round. */
async function floodThroughTributary(ctx: IngestContext, stream: StreamTarget, spec: FloodSpec): Promise<{ series: FloodSeries; dropped: number }> {
  let dropped = 0;
  const series = await repeatFlood(ctx.rounds, async (round) => {
    ctx.progress(`  round ${round + 1} of ${ctx.rounds}`);
    const counter = new ArrivalCounter();
    const sse = openSse(ctx.tributary.url + stream.path, stream.token, (event, data) => {
      if (event === 'integrationMessage') counter.add(performance.now());
      else if (event === 'dropped') dropped += (JSON.parse(data) as { count: number }).count;
    });
    await sse.opened;
    try {
      return await measureFlood(counter, spec, { Tributary: ctx.tributary.child.pid, Mosquitto: ctx.broker.pid });
    } finally {
      sse.close();
    }
  });
  return { series, dropped };
}

async function floodReference(ctx: IngestContext, filter: string, probeTopic: string, spec: FloodSpec): Promise<{ series: FloodSeries; description: string }> {
  const reference = await startReferenceSubscriber(ctx.broker, filter, probeTopic);
  const watch: Record<string, number> = { Mosquitto: ctx.broker.pid };
  if (reference.pid !== undefined) watch.mosquitto_sub = reference.pid;
  try {
    const series = await repeatFlood(ctx.rounds, (round) => {
      ctx.progress(`  round ${round + 1} of ${ctx.rounds}`);
      return measureFlood(reference.count(), spec, watch);
    });
    return { series, description: reference.description };
  } finally {
    await reference.stop();
  }
}

/** (a) and (b): one topic, one integration, its own messageStream. Returns the integration for (c). */
export async function singleIntegration(ctx: IngestContext): Promise<FloodComparison & { app: { id: string; token: string }; integrationId: string }> {
  const spec = floodSpec(ctx, [SINGLE_TOPIC]);
  ctx.progress(`(a) reference: ${ctx.messages.toLocaleString('en-US')} messages to one plain subscriber…`);
  const reference = await floodReference(ctx, SINGLE_TOPIC, SINGLE_TOPIC, spec);

  ctx.progress('(b) Tributary: one MQTT integration read through its messageStream…');
  const app = await createApplication(ctx.user, 'bench-ingest');
  const body = mqttIntegrationBody('ingest', ctx.broker.host, ctx.broker.port, ['bench/ingest/#']);
  const { id } = await ctx.user.post<{ id: string }>(`/applications/${app.id}/integrations`, body);
  await waitUntilConnected(ctx.user, app.id, id);
  const stream = { path: `/applications/${app.id}/integrations/${id}/messageStream`, token: app.token };
  const { series, dropped } = await floodThroughTributary(ctx, stream, spec);
  return { reference: reference.series, referenceDescription: reference.description, tributary: series, dropped, app, integrationId: id };
}

export interface LatencyComparison {
  readonly tributary: LatencyRun;
  readonly reference: LatencyRun;
}

/** (c): 1,000 msg/s from the bench process, read back through Tributary's SSE, then through a plain subscriber. */
export async function latency(ctx: IngestContext, app: { id: string; token: string }, integrationId: string): Promise<LatencyComparison> {
  const publisher = await connectMqtt(ctx.broker.url, `bench-latency-publisher-${process.pid}`);
  const paced = { publisher, rate: 1000, seconds: 11, warmupSeconds: 1, payloadBytes: ctx.payloadBytes };
  try {
    ctx.progress('(c) latency at 1,000 msg/s through Tributary…');
    let record: ((seq: number, sentAt: number) => void) | undefined;
    const sse = openSse(`${ctx.tributary.url}/applications/${app.id}/integrations/${integrationId}/messageStream`, app.token, (event, data) => {
      if (event !== 'integrationMessage' || !record) return;
      const sent = parseTimedPayload((JSON.parse(data) as { message: string }).message);
      if (sent) record(sent.seq, sent.sentAt);
    });
    await sse.opened;
    const tributary = await measureLatency({ ...paced, topic: LATENCY_TOPIC }, (r) => {
      record = r;
      return () => (record = undefined);
    }).finally(() => sse.close());

    ctx.progress('(c) latency at 1,000 msg/s through a plain mqtt.js subscriber…');
    const subscriber = await connectMqtt(ctx.broker.url, `bench-latency-reference-${process.pid}`);
    try {
      await subscribe(subscriber, REFERENCE_LATENCY_TOPIC);
      const reference = await measureLatency({ ...paced, topic: REFERENCE_LATENCY_TOPIC }, (r) => {
        const onMessage = (_topic: string, payload: Buffer) => {
          const sent = parseTimedPayload(payload.toString('latin1'));
          if (sent) r(sent.seq, sent.sentAt);
        };
        subscriber.on('message', onMessage);
        return () => subscriber.off('message', onMessage);
      });
      return { tributary, reference };
    } finally {
      await endMqtt(subscriber);
    }
  } finally {
    await endMqtt(publisher);
  }
}

/** (d): one integration per topic, all read through the application-wide stream. */
export async function fanOut(ctx: IngestContext, integrations: number): Promise<FloodComparison & { createMs: number; connectMs: number }> {
  const topics = Array.from({ length: integrations }, (_, i) => `bench/${i}/data`);
  const spec = floodSpec(ctx, topics);
  ctx.progress(`(d) reference: ${ctx.messages.toLocaleString('en-US')} messages over ${integrations} topics to one subscriber on bench/#…`);
  const reference = await floodReference(ctx, 'bench/#', 'bench/probe', spec);

  ctx.progress(`(d) Tributary: creating ${integrations} integrations (${CREATE_CONCURRENCY} requests in flight)…`);
  const app = await createApplication(ctx.user, 'bench-fan-out');
  const start = Date.now();
  await createIntegrations(ctx.user, app.id, integrations, CREATE_CONCURRENCY, (i) => mqttIntegrationBody(`fan-${i}`, ctx.broker.host, ctx.broker.port, [`bench/${i}/#`]));
  const createMs = Date.now() - start;
  const connected = await pollUntil(ctx.user, app.id, (items) => items.length === integrations && countWhere(items, isConnected) === integrations, {
    timeoutMs: 120_000,
    intervalMs: 250,
    what: `all ${integrations} integrations to be connected`,
  });
  const connectMs = connected.at - start;
  ctx.progress(`(d) Tributary: ${integrations} integrations connected; flooding, read through integrationMessageStream…`);
  const { series, dropped } = await floodThroughTributary(ctx, { path: `/applications/${app.id}/integrationMessageStream`, token: app.token }, spec);
  return { reference: reference.series, referenceDescription: reference.description, tributary: series, dropped, createMs, connectMs };
}
