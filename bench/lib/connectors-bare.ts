/**
 * The reference of bench:connectors: the official SDK of one integration type
 * receiving alone, in a bare loop, from the same peer Tributary reads (for
 * Particle also a plain SSE reader, the least any reader can do). Run as its
 * own process, pinned where the server would be:
 *
 *   node --import tsx bench/lib/connectors-bare.ts '<BareSpec as JSON>'
 *
 * It prints `ready` once it is subscribed, then one JSON line
 * `{ count, first, last }` (performance.now() of the first and last arrival)
 * once `messages` arrived, and waits to be stopped (SIGTERM).
 */
import http from 'node:http';
import { DeleteMessageBatchCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { EventHubConsumerClient, earliestEventPosition } from '@azure/event-hubs';
import { PubSub, v1 } from '@google-cloud/pubsub';
import Particle from 'particle-api-js';
import { ArrivalCounter } from './arrivals.js';
import { SseParser } from './sse-reader.js';

export type BareSpec =
  | { readonly type: 'particle'; readonly reader: 'sdk' | 'sse'; readonly messages: number; readonly apiUrl: string; readonly name: string; readonly token: string }
  | { readonly type: 'sqs'; readonly messages: number; readonly queueUrl: string; readonly region: string; readonly accessKeyId: string; readonly secretAccessKey: string }
  | { readonly type: 'googlePubSub'; readonly messages: number; readonly host: string; readonly projectId: string; readonly subscription: string }
  | { readonly type: 'azureEventHub'; readonly messages: number; readonly connectionString: string; readonly hubName: string; readonly partitions: number };

type Done = () => void;

/** particle-api-js's getEventStream (each event JSON-parsed and emitted), the account's devices as the integration reads them. */
async function particleSdk(spec: Extract<BareSpec, { type: 'particle' }>, counter: ArrivalCounter, ready: Done): Promise<void> {
  const stream = await new Particle({ baseUrl: spec.apiUrl }).getEventStream({ deviceId: 'mine', name: spec.name, auth: spec.token });
  stream.on('event', () => counter.add(performance.now()));
  ready();
}

/** Reads Particle's event stream over node:http, counting events (comments are keep-alives). */
function particleSse(spec: Extract<BareSpec, { type: 'particle' }>, counter: ArrivalCounter, ready: Done): void {
  const parser = new SseParser(() => counter.add(performance.now()));
  const url = `${spec.apiUrl}/v1/devices/events/${encodeURIComponent(spec.name)}`;
  http.get(url, { agent: false, headers: { authorization: `Bearer ${spec.token}`, accept: 'text/event-stream' } }, (response) => {
    response.setEncoding('utf8');
    response.on('data', (text: string) => parser.feed(text));
    ready();
  });
}

/** As the connector polls: up to 4 long polls of 10 in flight, each batch deleted once counted. */
function sqs(spec: Extract<BareSpec, { type: 'sqs' }>, counter: ArrivalCounter, ready: Done): void {
  const client = new SQSClient({ region: spec.region, endpoint: new URL(spec.queueUrl).origin, credentials: { accessKeyId: spec.accessKeyId, secretAccessKey: spec.secretAccessKey }, maxAttempts: 1 });
  const loop = async () => {
    while (counter.count < spec.messages) {
      const output = await client.send(new ReceiveMessageCommand({ QueueUrl: spec.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 20, MessageAttributeNames: ['All'] }));
      const messages = output.Messages ?? [];
      if (messages.length === 0) continue;
      counter.add(performance.now(), messages.length);
      await client.send(new DeleteMessageBatchCommand({ QueueUrl: spec.queueUrl, Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })) }));
    }
  };
  for (let i = 0; i < 4; i++) void loop();
  ready();
}

/** One StreamingPull on the SDK's generated client (as the connector reads), acks written on the stream. */
async function googlePubSub(spec: Extract<BareSpec, { type: 'googlePubSub' }>, counter: ArrivalCounter, ready: Done): Promise<void> {
  const pubsub = new PubSub({ projectId: spec.projectId, apiEndpoint: spec.host });
  const config = await pubsub.getClientConfig();
  const subscriber = new v1.SubscriberClient({ ...config, port: config.port === undefined ? undefined : Number(config.port) });
  const stream = subscriber.streamingPull();
  stream.on('data', (response: { receivedMessages?: { ackId?: string | null }[] | null }) => {
    const received = response.receivedMessages ?? [];
    counter.add(performance.now(), received.length);
    stream.write({ ackIds: received.map((m) => m.ackId ?? '') });
  });
  stream.on('error', () => {});
  stream.write({ subscription: `projects/${spec.projectId}/subscriptions/${spec.subscription}`, streamAckDeadlineSeconds: 60, maxOutstandingMessages: 1000 });
  ready();
}

/** Every partition from its start, batches as the connector asks for them. */
async function azureEventHub(spec: Extract<BareSpec, { type: 'azureEventHub' }>, counter: ArrivalCounter, ready: Done): Promise<void> {
  const consumer = new EventHubConsumerClient('$default', spec.connectionString, spec.hubName);
  let initialised = 0;
  consumer.subscribe(
    {
      processInitialize: async () => {
        if (++initialised === spec.partitions) ready();
      },
      processEvents: async (events) => {
        if (events.length > 0) counter.add(performance.now(), events.length);
      },
      processError: async () => {},
    },
    { startPosition: earliestEventPosition, maxBatchSize: 100, maxWaitTimeInSeconds: 5 },
  );
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2] ?? '{}') as BareSpec;
  const counter = new ArrivalCounter();
  let announced = false;
  const ready = () => {
    if (!announced) process.stdout.write('ready\n');
    announced = true;
  };
  if (spec.type === 'particle' && spec.reader === 'sdk') await particleSdk(spec, counter, ready);
  else if (spec.type === 'particle') particleSse(spec, counter, ready);
  else if (spec.type === 'sqs') sqs(spec, counter, ready);
  else if (spec.type === 'googlePubSub') await googlePubSub(spec, counter, ready);
  else await azureEventHub(spec, counter, ready);
  while (counter.count < spec.messages) await new Promise((resolve) => setTimeout(resolve, 5));
  process.stdout.write(`${JSON.stringify({ count: counter.count, first: counter.first, last: counter.last })}\n`);
  // Alive until the bench stops it: it reads this process's CPU time from /proc first.
  setInterval(() => {}, 60_000);
}

await main();
