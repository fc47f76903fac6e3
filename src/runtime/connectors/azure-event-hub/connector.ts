import type { EventHubConsumerClient, EventHubProducerClient } from '@azure/event-hubs';
import { ConnectError, NotConnectedError } from '../../connector.js';
import type { Connector, ConnectorEvents, ConnectorFactory, OutboundMessage } from '../../connector.js';
import type { IntegrationSpec } from '../../../domain/integration-spec.js';
import { PendingAttempt } from '../attempt.js';
import type { Target } from '../socket-reasons.js';
import { MemoryCheckpointStore } from './checkpoints.js';
import type { CheckpointSource, CheckpointStore, EventHubConnectorOptions, PartitionCheckpoint } from './checkpoints.js';
import { azureEventHubConfig, closeClients, endpointTarget, eventHubClients } from './config.js';
import type { AzureEventHubConfig } from './config.js';
import { watchConnection } from './connection-watch.js';
import { PartitionReaders } from './readers.js';
import { describeClientError, describeEventHubError, HOST_NAME_NEEDS_CREDENTIAL, NOT_CONNECTED_BEFORE_ACK } from './reasons.js';
import { startKeepalive } from './keepalive.js';

/** One pair of SDK clients: one connect() attempt and, once it succeeded, the life of that link. */
interface Link {
  readonly consumer: EventHubConsumerClient;
  readonly producer: EventHubProducerClient;
  /** Aborts the management calls of the attempt and of the keepalive probe. */
  readonly abort: AbortController;
  up: boolean;
  partitionIds: readonly string[];
  readers: PartitionReaders | undefined;
  attempt: PendingAttempt | undefined;
  /** Stop watching the connections and probing: set once up. */
  unwatch: (() => void)[];
  /** Set once dropped: resolves when the readers stopped, checkpoints were written and the clients closed. */
  ended: Promise<void> | undefined;
}

/**
 * The Azure Event Hubs connector on @azure/event-hubs. connect() asks for the
 * hub's partitions (an unknown hub or a refused key fail there, in the
 * service's words), finds where each partition resumes (its checkpoint in
 * Tributary's store; on the very first start, its latest event, written down
 * at once), then subscribes to every partition. A checkpoint moves only once
 * the messages up to it were acknowledged (retained). A failing partition is
 * reported through trouble(); losing the connection, or a keepalive probe
 * (the hub's properties, every keepaliveSeconds) going unanswered, is down().
 */
export class AzureEventHubConnector implements Connector {
  readonly #spec: IntegrationSpec;
  readonly #config: AzureEventHubConfig;
  readonly #events: ConnectorEvents;
  readonly #options: EventHubConnectorOptions;
  readonly #checkpoints: CheckpointStore;
  readonly #target: Target | undefined;
  #link: Link | undefined;
  /** The previous link's end: a new one loads checkpoints only after the old one wrote its own. */
  #previous: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(spec: IntegrationSpec, events: ConnectorEvents, options: EventHubConnectorOptions) {
    this.#spec = spec;
    this.#config = azureEventHubConfig(spec);
    this.#events = events;
    this.#options = options;
    this.#checkpoints = options.checkpoints ?? new MemoryCheckpointStore();
    this.#target = this.#config.connectionString === undefined ? undefined : endpointTarget(this.#config.connectionString);
  }

  connect(): Promise<void> {
    if (this.#closed) return Promise.reject(new ConnectError('The connector is closed'));
    this.#drop('Superseded by a new connection attempt');
    return new Promise((resolve, reject) => this.#attempt(resolve, reject));
  }

  /** Event Hubs has no topics to subscribe to: every partition is read whatever they are. */
  async setTopics(): Promise<void> {}

  async publish(message: OutboundMessage): Promise<void> {
    const link = this.#link;
    if (!link?.up) throw new NotConnectedError();
    const partitionId = link.partitionIds.includes(message.topic) ? message.topic : undefined;
    // A string goes as the SDK sends strings (JSON in a data section), so SDK consumers, ours included, read the same string back.
    const event = { body: message.payload, ...(message.attributes === undefined ? {} : { properties: { ...message.attributes } }) };
    try {
      await link.producer.sendBatch([event], partitionId === undefined ? {} : { partitionId });
    } catch (error) {
      if (this.#link !== link) throw new NotConnectedError(NOT_CONNECTED_BEFORE_ACK);
      throw new Error(describeEventHubError(error, this.#target));
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#drop('The connector was closed');
    await this.#previous;
  }

  #attempt(resolve: () => void, reject: (error: Error) => void): void {
    const connectionString = this.#config.connectionString;
    if (connectionString === undefined) return reject(new ConnectError(HOST_NAME_NEEDS_CREDENTIAL));
    let clients;
    try {
      clients = eventHubClients(this.#config, connectionString, this.#options.connectTimeoutMs);
    } catch (error) {
      return reject(new ConnectError(describeClientError(error, this.#config.hubName)));
    }
    const link: Link = { ...clients, abort: new AbortController(), up: false, partitionIds: [], readers: undefined, attempt: undefined, unwatch: [], ended: undefined };
    this.#link = link;
    link.attempt = new PendingAttempt(this.#options.connectTimeoutMs, (reason) => this.#fail(link, reason), reject);
    this.#previous
      .then(() => this.#start(link))
      .then(
        () => {
          if (this.#link !== link || !link.attempt?.settle()) return;
          link.attempt = undefined;
          link.up = true;
          this.#watch(link);
          resolve();
        },
        (error: unknown) => this.#fail(link, describeEventHubError(error, this.#target)),
      );
  }

  async #start(link: Link): Promise<void> {
    const abortSignal = link.abort.signal;
    const { partitionIds } = await link.consumer.getEventHubProperties({ abortSignal });
    link.partitionIds = partitionIds;
    const source = this.#source(link);
    const kept = new Map((await this.#checkpoints.load(source)).map((checkpoint) => [checkpoint.partitionId, checkpoint]));
    const points = await Promise.all(partitionIds.map(async (id) => kept.get(id) ?? (await this.#latest(link, source, id))));
    if (this.#link !== link) return;
    link.readers = new PartitionReaders(
      link.consumer,
      this.#config.hubName,
      (checkpoint) => this.#checkpoints.save(source, checkpoint),
      this.#events,
      this.#target,
    );
    link.readers.start(points);
  }

  /** The first start of a partition: its latest event, written down so that a restart before any message resumes there. */
  async #latest(link: Link, source: CheckpointSource, partitionId: string): Promise<PartitionCheckpoint> {
    const properties = await link.consumer.getPartitionProperties(partitionId, { abortSignal: link.abort.signal });
    const checkpoint: PartitionCheckpoint = properties.isEmpty
      ? { partitionId, sequenceNumber: -1, offset: '-1' }
      : { partitionId, sequenceNumber: properties.lastEnqueuedSequenceNumber, offset: String(properties.lastEnqueuedOffset) };
    await this.#checkpoints.save(source, checkpoint);
    return checkpoint;
  }

  #source(link: Link): CheckpointSource {
    return { integrationId: this.#spec.id, namespace: link.consumer.fullyQualifiedNamespace, hubName: this.#config.hubName, consumerGroup: this.#config.consumerGroup };
  }

  /** Once up: the connections' drops, and the keepalive probe. */
  #watch(link: Link): void {
    const lost = (reason: string | Error) => this.#lost(link, typeof reason === 'string' ? reason : describeEventHubError(reason, this.#target));
    link.unwatch.push(
      watchConnection(link.consumer, lost),
      watchConnection(link.producer, lost),
      startKeepalive(link.consumer, this.#options.keepaliveSeconds, () => this.#events.alive(), lost),
    );
  }

  /** A failed attempt, or a dropped link: reject a pending connect() and end the clients. */
  #fail(link: Link, reason: string): void {
    if (this.#link === link) this.#link = undefined;
    link.attempt?.abort(reason);
    this.#end(link);
  }

  /** An established link went down: report it, once. */
  #lost(link: Link, reason: string): void {
    if (this.#link !== link) return;
    this.#link = undefined;
    link.up = false;
    this.#end(link);
    this.#events.down(reason);
  }

  /** Drops the current link, if any, without reporting it. */
  #drop(reason: string): void {
    if (this.#link !== undefined) this.#fail(this.#link, reason);
  }

  /** Stops the readers (writing their checkpoints), then closes both clients; once per link. */
  #end(link: Link): void {
    if (link.ended !== undefined) return;
    link.abort.abort();
    for (const unwatch of link.unwatch.splice(0)) unwatch();
    const stopped = link.readers?.stop();
    link.ended = Promise.all([stopped?.flushed, closeClients(link, stopped?.closed)]).then(() => {});
    this.#previous = Promise.all([this.#previous, link.ended]).then(() => {});
  }
}

export const createAzureEventHubConnector: ConnectorFactory = (spec, events, options) => new AzureEventHubConnector(spec, events, options);
