import * as grpc from '@grpc/grpc-js';
import { loadPubSubServices } from './proto.js';
import { PubsubState, Subscription } from './state.js';
import { fail, notFound, UNAUTHENTICATED } from './status.js';
import type { Failure } from './status.js';
import { streamingPull, tap } from './streaming-pull.js';
import type { StreamingPullRequest } from './streaming-pull.js';

/**
 * A Pub/Sub gRPC server of our own on 127.0.0.1, port 0, built from the SDK's
 * pubsub.proto: Publisher (CreateTopic, GetTopic, ListTopics, Publish) and
 * Subscriber (CreateSubscription, GetSubscription, ListSubscriptions,
 * DeleteSubscription, StreamingPull with acks and deadline changes,
 * Acknowledge, ModifyAckDeadline). Errors carry Google's status codes and
 * wording. Reached as the SDK reaches an emulator (PUBSUB_EMULATOR_HOST-style
 * `host:port`, plain-text gRPC, no credentials sent).
 */
export interface PubSubPeer {
  /** `127.0.0.1:<port>`, what PUBSUB_EMULATOR_HOST would hold. */
  readonly host: string;
  readonly state: PubsubState;
  /** While true, every call fails UNAUTHENTICATED, as Google does for a bad or revoked key. */
  refuseCredentials: boolean;
  /** Open StreamingPull calls. */
  readonly openStreams: number;
  createTopic(project: string, topic: string): void;
  publish(project: string, topic: string, data: string | Buffer, attributes?: Record<string, string>): string;
  subscription(project: string, id: string): Subscription | undefined;
  /** A subscription of the test's own on `topic` (created if missing): every message's data, in order. */
  tap(project: string, topic: string): { next(): Promise<string> };
  /** Ends every StreamingPull with UNAVAILABLE, as Google does when it moves a stream. */
  dropStreams(): void;
  close(): Promise<void>;
}

const ID = /^[A-Za-z][\w.~+%-]{2,254}$/;

export interface PubSubPeerOptions {
  /** Topics spring into being when first named (a convenience for the contract suite; Pub/Sub answers NOT_FOUND). */
  autoCreateTopics?: boolean;
}

export async function startPubSubPeer(options: PubSubPeerOptions = {}): Promise<PubSubPeer> {
  const { Publisher, Subscriber } = loadPubSubServices();
  const state = new PubsubState();
  const streams = new Set<grpc.ServerDuplexStream<StreamingPullRequest, unknown>>();
  const peer = { refuseCredentials: false };

  /** A unary handler: a thrown Failure becomes the call's status. */
  const unary =
    <Request, Response>(handle: (request: Request) => Response): grpc.handleUnaryCall<Request, Response> =>
    (call, callback) => {
      if (peer.refuseCredentials) return callback(UNAUTHENTICATED);
      try {
        callback(null, handle(call.request));
      } catch (error) {
        callback(error as Failure);
      }
    };
  const topicOf = (name: string) => {
    if (options.autoCreateTopics) state.topics.add(name);
    if (!state.topics.has(name)) throw notFound(name);
    return { name };
  };
  const subscriptionOf = (name: string) => {
    const subscription = state.subscriptions.get(name);
    if (!subscription) throw notFound(name);
    return subscription;
  };
  const described = (s: Subscription) => ({ name: s.name, topic: s.topic, ackDeadlineSeconds: s.ackDeadlineSeconds });
  const checkName = (name: string, kind: 'topics' | 'subscriptions') => {
    const [projects, , collection, id] = name.split('/');
    if (projects !== 'projects' || collection !== kind || !id || !ID.test(id) || id.startsWith('goog')) {
      throw fail(grpc.status.INVALID_ARGUMENT, `Invalid [${kind}] name: (name=${name})`);
    }
  };

  const server = new grpc.Server();
  server.addService(Publisher, {
    CreateTopic: unary<{ name: string }, { name: string }>(({ name }) => {
      checkName(name, 'topics');
      if (state.topics.has(name)) throw fail(grpc.status.ALREADY_EXISTS, `Resource already exists in the project (resource=${name.split('/').pop()}).`);
      state.topics.add(name);
      return { name };
    }),
    GetTopic: unary<{ topic: string }, { name: string }>(({ topic }) => topicOf(topic)),
    ListTopics: unary<{ project: string }, { topics: { name: string }[] }>(({ project }) => ({
      topics: [...state.topics].filter((name) => name.startsWith(`${project}/topics/`)).map((name) => ({ name })),
    })),
    Publish: unary<{ topic: string; messages: { data: Buffer; attributes: Record<string, string> }[] }, { messageIds: string[] }>(({ topic, messages }) => {
      topicOf(topic);
      return { messageIds: state.publish(topic, messages) };
    }),
  });
  server.addService(Subscriber, {
    CreateSubscription: unary<{ name: string; topic: string; ackDeadlineSeconds: number }, object>(({ name, topic, ackDeadlineSeconds }) => {
      checkName(name, 'subscriptions');
      topicOf(topic);
      if (state.subscriptions.has(name)) throw fail(grpc.status.ALREADY_EXISTS, `Resource already exists in the project (resource=${name.split('/').pop()}).`);
      const subscription = new Subscription(name, topic, ackDeadlineSeconds || 10);
      state.subscriptions.set(name, subscription);
      return described(subscription);
    }),
    GetSubscription: unary<{ subscription: string }, object>(({ subscription }) => described(subscriptionOf(subscription))),
    ListSubscriptions: unary<{ project: string }, object>(({ project }) => ({
      subscriptions: [...state.subscriptions.values()].filter((s) => s.name.startsWith(`${project}/subscriptions/`)).map(described),
    })),
    DeleteSubscription: unary<{ subscription: string }, object>(({ subscription }) => {
      subscriptionOf(subscription).stop();
      state.subscriptions.delete(subscription);
      return {};
    }),
    Acknowledge: unary<{ subscription: string; ackIds: string[] }, object>(({ subscription, ackIds }) => {
      const target = subscriptionOf(subscription);
      for (const ackId of ackIds) target.ack(ackId);
      return {};
    }),
    ModifyAckDeadline: unary<{ subscription: string; ackIds: string[]; ackDeadlineSeconds: number }, object>(({ subscription, ackIds, ackDeadlineSeconds }) => {
      const target = subscriptionOf(subscription);
      for (const ackId of ackIds) target.modifyDeadline(ackId, ackDeadlineSeconds);
      return {};
    }),
    StreamingPull: (call: grpc.ServerDuplexStream<StreamingPullRequest, unknown>) => streamingPull(call, state, streams, peer.refuseCredentials),
  });

  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound)));
  });
  return {
    host: `127.0.0.1:${port}`,
    state,
    get refuseCredentials() {
      return peer.refuseCredentials;
    },
    set refuseCredentials(value: boolean) {
      peer.refuseCredentials = value;
    },
    get openStreams() {
      return streams.size;
    },
    createTopic: (project, topic) => void state.topics.add(`projects/${project}/topics/${topic}`),
    publish: (project, topic, data, attributes = {}) => {
      const name = `projects/${project}/topics/${topic}`;
      if (!state.topics.has(name)) throw new Error(`No topic ${name}`);
      return state.publish(name, [{ data: Buffer.from(data), attributes }])[0]!;
    },
    subscription: (project, id) => state.subscriptions.get(`projects/${project}/subscriptions/${id}`),
    tap: (project, topic) => tap(state, `projects/${project}/topics/${topic}`),
    dropStreams() {
      for (const call of streams) call.emit('error', fail(grpc.status.UNAVAILABLE, 'The service was unable to fulfill your request. Please try again. [code=8a75]'));
    },
    async close() {
      state.stop();
      server.forceShutdown();
    },
  };
}
