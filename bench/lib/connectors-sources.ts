/**
 * The four cloud sources of bench:connectors, each a protocol peer of
 * test/peers/ running in the bench process (the load core): how Tributary is
 * pointed at it, how the bare SDK loop is, and how messages are fed to it.
 * Every run gets a place of its own (a queue, a topic, a hub, an event name),
 * so the reference and Tributary never read each other's messages.
 */
import { randomBytes } from 'node:crypto';
import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { startEventHubsPeer } from '../../test/peers/event-hubs/index.js';
import { startParticlePeer } from '../../test/peers/particle/peer.js';
import { startPubSubPeer } from '../../test/peers/pubsub/peer.js';
import { Subscription } from '../../test/peers/pubsub/state.js';
import { SQS_PEER_CREDENTIALS, SQS_PEER_REGION, startSqsPeer } from '../../test/peers/sqs/fauxqs-peer.js';
import type { BareSpec } from './connectors-bare.js';

export const SOURCE_TYPES = ['particle', 'sqs', 'googlePubSub', 'azureEventHub'] as const;
export type SourceType = (typeof SOURCE_TYPES)[number];

/** One measured run's place at the peer. */
export interface SourceRun {
  /** Fills the place before its reader starts (SQS: the queue is drained, not raced). */
  before(): Promise<void>;
  /** Feeds it once its reader is subscribed (the others: live streams, or a first start at "latest"). */
  after(): Promise<void>;
}

/** A second reference, measured and shown beside the SDK's but not judged (see Source.floor). */
export interface FloorReference {
  readonly reference: string;
  readonly bare: (messages: number) => SourceRun & { readonly spec: BareSpec };
}

export interface Source {
  readonly type: SourceType;
  readonly peer: string;
  /** The type's official SDK receiving alone: what the target is judged against. */
  readonly reference: string;
  /** Particle: also a plain SSE reader, the least any reader can do; shown, not judged (Tributary does not use the SDK either). */
  readonly floor?: FloorReference;
  /** What the server needs in its environment to reach the peer. */
  readonly serverEnv: Readonly<Record<string, string>>;
  bare(messages: number): SourceRun & { readonly spec: BareSpec };
  /** The integration's create body (without name); the run is fed once it is connected. */
  tributary(messages: number): SourceRun & { readonly body: Record<string, unknown> };
  close(): Promise<void>;
}

const PAYLOAD_BYTES = 100;
const payload = (i: number) => `${i} `.padEnd(PAYLOAD_BYTES, 'x');
const unique = (prefix: string) => `${prefix}-${randomBytes(4).toString('hex')}`;
const nothing = async () => {};
/** Yields to the event loop between chunks, so the peer writes while the bench feeds. */
const tick = () => new Promise((resolve) => setImmediate(resolve));

async function inChunks(messages: number, size: number, feed: (i: number) => void): Promise<void> {
  for (let i = 0; i < messages; i++) {
    feed(i);
    if (i % size === size - 1) await tick();
  }
}

async function particleSource(): Promise<Source> {
  const token = 'bench-token';
  const peer = await startParticlePeer({ tokens: [token], keepAliveMs: 1000 });
  const emitter = (name: string, messages: number) => () => inChunks(messages, 200, (i) => void peer.emit(name, payload(i)));
  const bare = (reader: 'sdk' | 'sse', messages: number) => {
    const name = unique(`bare-${reader}`);
    return { spec: { type: 'particle' as const, reader, messages, apiUrl: peer.url, name, token }, before: nothing, after: emitter(name, messages) };
  };
  return {
    type: 'particle',
    peer: 'test/peers/particle (node:http, SSE)',
    reference: 'particle-api-js 12.0.3 getEventStream (the official SDK) on the same event stream',
    floor: { reference: 'a plain SSE reader (node:http) on the same event stream', bare: (messages) => bare('sse', messages) },
    serverEnv: { PARTICLE_API_URL: peer.url },
    bare: (messages) => bare('sdk', messages),
    tributary(messages) {
      const name = unique('tributary');
      return { body: { integrationType: 'particle', topics: [name], particleConfig: { accessToken: token } }, before: nothing, after: emitter(name, messages) };
    },
    close: () => peer.close(),
  };
}

async function sqsSource(): Promise<Source> {
  const peer = await startSqsPeer();
  const credentials = { region: SQS_PEER_REGION, accessKeyId: SQS_PEER_CREDENTIALS.accessKeyId, secretAccessKey: SQS_PEER_CREDENTIALS.secretAccessKey };
  /** SendMessageBatch of 10, 8 in flight: the queue is full before its reader starts. */
  const fill = (queueUrl: string, messages: number) => async () => {
    let next = 0;
    const sender = async () => {
      while (next < messages) {
        const start = next;
        next = Math.min(messages, next + 10);
        const entries = Array.from({ length: next - start }, (_, j) => ({ Id: String(j), MessageBody: payload(start + j) }));
        await peer.client.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries }));
      }
    };
    await Promise.all(Array.from({ length: 8 }, sender));
  };
  return {
    type: 'sqs',
    peer: 'test/peers/sqs (fauxqs 1.9.2 behind our node:http front)',
    reference: '@aws-sdk/client-sqs: 4 long polls of 10 in flight, DeleteMessageBatch per batch',
    serverEnv: {},
    bare(messages) {
      let queueUrl = '';
      const spec = { type: 'sqs' as const, messages, queueUrl: '', ...credentials };
      return {
        get spec() {
          return { ...spec, queueUrl };
        },
        before: async () => {
          queueUrl = await peer.createQueue(unique('bare'));
          await fill(queueUrl, messages)();
        },
        after: nothing,
      };
    },
    tributary(messages) {
      let queueUrl = '';
      return {
        get body() {
          return { integrationType: 'sqs', sqsConfig: { queueUrl, ...credentials } };
        },
        before: async () => {
          queueUrl = await peer.createQueue(unique('tributary'));
          await fill(queueUrl, messages)();
        },
        after: nothing,
      };
    },
    close: () => peer.close(),
  };
}

const PROJECT = 'tributary-bench';

async function pubSubSource(): Promise<Source> {
  const peer = await startPubSubPeer();
  const publisher = (topic: string, messages: number) => () => inChunks(messages, 500, (i) => void peer.publish(PROJECT, topic, payload(i)));
  return {
    type: 'googlePubSub',
    peer: 'test/peers/pubsub (@grpc/grpc-js, the SDK\'s pubsub.proto)',
    reference: '@google-cloud/pubsub v1.SubscriberClient: one StreamingPull, acks written on the stream',
    serverEnv: { PUBSUB_EMULATOR_HOST: peer.host },
    bare(messages) {
      const topic = unique('bare');
      const subscription = unique('bare-sub');
      return {
        spec: { type: 'googlePubSub', messages, host: peer.host, projectId: PROJECT, subscription },
        before: async () => {
          peer.createTopic(PROJECT, topic);
          const name = `projects/${PROJECT}/subscriptions/${subscription}`;
          peer.state.subscriptions.set(name, new Subscription(name, `projects/${PROJECT}/topics/${topic}`, 60));
        },
        after: publisher(topic, messages),
      };
    },
    tributary(messages) {
      const topic = unique('tributary');
      return {
        body: { integrationType: 'googlePubSub', topics: [topic], googlePubSubConfig: { projectId: PROJECT, keyJson: '{"type":"service_account","client_email":"bench@example.iam.gserviceaccount.com"}' } },
        before: async () => peer.createTopic(PROJECT, topic),
        after: publisher(topic, messages),
      };
    },
    close: () => peer.close(),
  };
}

const PARTITIONS = ['0', '1'];

async function eventHubSource(): Promise<Source> {
  const peer = await startEventHubsPeer();
  const appender = (hub: string, messages: number) => () => inChunks(messages, 500, (i) => void peer.append(hub, PARTITIONS[i % PARTITIONS.length]!, { body: payload(i) }));
  return {
    type: 'azureEventHub',
    peer: 'test/peers/event-hubs (rhea, AMQP 1.0), 2 partitions',
    reference: '@azure/event-hubs EventHubConsumerClient.subscribe, every partition, batches of up to 100',
    serverEnv: {},
    bare(messages) {
      const hub = unique('bare');
      return {
        spec: { type: 'azureEventHub', messages, connectionString: peer.connectionString(hub), hubName: hub, partitions: PARTITIONS.length },
        before: async () => peer.createHub(hub, PARTITIONS.length),
        after: appender(hub, messages),
      };
    },
    tributary(messages) {
      const hub = unique('tributary');
      return {
        body: { integrationType: 'azureEventHub', azureEventHubConfig: { hubName: hub, consumerGroup: '$default', connectionString: peer.connectionString(hub) } },
        before: async () => peer.createHub(hub, PARTITIONS.length),
        after: appender(hub, messages),
      };
    },
    close: () => peer.stop(),
  };
}

export function startSource(type: SourceType): Promise<Source> {
  if (type === 'particle') return particleSource();
  if (type === 'sqs') return sqsSource();
  if (type === 'googlePubSub') return pubSubSource();
  return eventHubSource();
}
