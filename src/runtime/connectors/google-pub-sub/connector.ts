import { ConnectError, NotConnectedError } from '../../connector.js';
import type { Connector, ConnectorEvents, ConnectorFactory, OutboundMessage, RefusedSubscription } from '../../connector.js';
import type { IntegrationSpec } from '../../../domain/integration-spec.js';
import { timedOut } from '../socket-reasons.js';
import { googlePubSubConfig, oneAttempt, pubSubClients } from './config.js';
import type { GooglePubSubConfig, GooglePubSubOptions, PubSubClients } from './config.js';
import { PullStream } from './pull-stream.js';
import { describePubSubError, grpcCode, STATUS } from './reasons.js';
import { ensureSubscription } from './subscriptions.js';

/** One set of clients: one connect() attempt and, once up, a StreamingPull per topic. */
interface Link {
  readonly clients: PubSubClients;
  readonly streams: Map<string, PullStream>;
  up: boolean;
  /** Why we dropped it (superseded, closed, timed out): what a pending connect() rejects with. */
  reason: string | undefined;
}

/**
 * The Google Pub/Sub connector on @google-cloud/pubsub's generated clients.
 * Each topic is read through the integration's own subscription
 * (`tributary-<integrationId>-<topic>`, created when missing, kept when the
 * integration is disabled; see deleteGooglePubSubSubscriptions). Messages are
 * acknowledged only when the supervisor says they are retained. Any stream
 * ending ends the link.
 */
export class GooglePubSubConnector implements Connector {
  readonly #config: GooglePubSubConfig;
  readonly #integrationId: string;
  readonly #events: ConnectorEvents;
  readonly #options: GooglePubSubOptions;
  #topics: readonly string[];
  #link: Link | undefined;
  #closed = false;

  constructor(spec: IntegrationSpec, events: ConnectorEvents, options: GooglePubSubOptions) {
    this.#config = googlePubSubConfig(spec);
    this.#integrationId = spec.id;
    this.#events = events;
    this.#options = options;
    this.#topics = spec.topics;
  }

  get topics(): readonly string[] {
    return this.#topics;
  }

  async connect(): Promise<void> {
    if (this.#closed) throw new ConnectError('The connector is closed');
    await this.#discard('Superseded by a new connection attempt');
    const clients = await pubSubClients(this.#config, this.#options);
    const link: Link = { clients, streams: new Map(), up: false, reason: undefined };
    this.#link = link;
    const timeoutMs = this.#options.connectTimeoutMs;
    const timer = setTimeout(() => void this.#drop(link, timedOut(timeoutMs)), timeoutMs);
    let refused: RefusedSubscription[];
    try {
      // With no topic to subscribe, a listing is what proves the key and the project.
      if (this.#topics.length === 0) await clients.publisher.listTopics({ project: `projects/${this.#config.projectId}`, pageSize: 1 }, { ...oneAttempt(timeoutMs), autoPaginate: false });
      refused = await this.#subscribe(link, this.#topics);
    } catch (error) {
      const reason = link.reason ?? describePubSubError(error);
      await this.#drop(link, reason);
      throw new ConnectError(reason);
    } finally {
      clearTimeout(timer);
    }
    if (this.#link !== link) throw new ConnectError(link.reason ?? 'The connection attempt was abandoned');
    link.up = true;
    this.#events.alive();
    if (refused.length > 0) this.#events.subscriptionsRefused(refused);
  }

  /** Streams from the added topics' subscriptions first, then stops those of removed topics (their subscriptions stay). */
  async setTopics(topics: readonly string[]): Promise<void> {
    const before = this.#topics;
    this.#topics = topics;
    const link = this.#link;
    if (!link?.up) return;
    let refused: RefusedSubscription[];
    try {
      refused = await this.#subscribe(link, topics.filter((topic) => !before.includes(topic)));
    } catch (error) {
      this.#lost(link, describePubSubError(error));
      return;
    }
    if (refused.length > 0) this.#events.subscriptionsRefused(refused);
    for (const [topic, stream] of link.streams) {
      if (topics.includes(topic)) continue;
      link.streams.delete(topic);
      stream.close();
    }
  }

  async publish(message: OutboundMessage): Promise<void> {
    const link = this.#link;
    if (!link?.up) throw new NotConnectedError();
    const topic = `projects/${this.#config.projectId}/topics/${message.topic}`;
    const data = typeof message.payload === 'string' ? Buffer.from(message.payload) : message.payload;
    try {
      await link.clients.publisher.publish(
        { topic, messages: [{ data, attributes: { ...message.attributes } }] },
        // Sent now, alone: gax would otherwise hold it to batch it with others.
        { ...oneAttempt(this.#options.connectTimeoutMs), isBundling: false },
      );
    } catch (error) {
      throw new Error(describePubSubError(error), { cause: error });
    }
  }

  /** A probe only checks that each topic exists: it creates no subscription to leave behind. */
  async #checkTopics(link: Link, topics: readonly string[]): Promise<RefusedSubscription[]> {
    const refused: RefusedSubscription[] = [];
    for (const topic of topics) {
      try {
        await link.clients.publisher.getTopic({ topic: `projects/${this.#config.projectId}/topics/${topic}` }, oneAttempt(this.#options.connectTimeoutMs));
      } catch (error) {
        const code = grpcCode(error);
        if (code !== STATUS.NOT_FOUND && code !== STATUS.INVALID_ARGUMENT) throw error;
        refused.push({ topic, reason: describePubSubError(error) });
      }
    }
    return refused;
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#discard('The connector was closed');
  }

  /** Ensures each topic's subscription and opens its stream; resolves with the topics Pub/Sub refused. */
  async #subscribe(link: Link, topics: readonly string[]): Promise<RefusedSubscription[]> {
    if (this.#options.probe) return this.#checkTopics(link, topics);
    const { subscriber } = link.clients;
    const results = await Promise.all(
      topics.map(async (topic) => ({ topic, ensured: await ensureSubscription(subscriber, this.#config.projectId, this.#integrationId, topic, this.#options.connectTimeoutMs) })),
    );
    const refused: RefusedSubscription[] = [];
    for (const { topic, ensured } of results) {
      if ('refused' in ensured) {
        refused.push({ topic, reason: ensured.refused });
        continue;
      }
      if (this.#link !== link || link.streams.has(topic)) continue;
      const stream: PullStream = new PullStream(subscriber, ensured.subscription, topic, {
        message: (message) => {
          if (this.#link === link) this.#events.message(message);
        },
        alive: () => {
          if (this.#link === link) this.#events.alive();
        },
        ended: (reason) => {
          if (link.streams.get(topic) === stream) this.#lost(link, reason);
        },
        // An ack id outlives its stream and its client: a later link acknowledges what an ended one received.
        ackClient: () => (this.#link?.up ? this.#link : link).clients.subscriber,
      });
      link.streams.set(topic, stream);
    }
    return refused;
  }

  #lost(link: Link, reason: string): void {
    if (this.#link !== link) return;
    const wasUp = link.up;
    void this.#drop(link, reason);
    if (wasUp) this.#events.down(reason);
  }

  async #drop(link: Link, reason: string): Promise<void> {
    if (this.#link === link) this.#link = undefined;
    link.up = false;
    link.reason ??= reason;
    for (const stream of link.streams.values()) stream.close();
    link.streams.clear();
    await link.clients.close();
  }

  async #discard(reason: string): Promise<void> {
    const link = this.#link;
    if (link !== undefined) await this.#drop(link, reason);
  }
}

/** A ConnectorFactory that also takes the endpoint option (see GooglePubSubOptions). */
export const createGooglePubSubConnector = ((spec: IntegrationSpec, events: ConnectorEvents, options: GooglePubSubOptions): Connector =>
  new GooglePubSubConnector(spec, events, options)) satisfies ConnectorFactory;
