import { ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import type { Message, SQSClient } from '@aws-sdk/client-sqs';
import { ConnectError, NotConnectedError } from '../../connector.js';
import type { Connector, ConnectorEvents, ConnectorFactory, ConnectorOptions, OutboundMessage } from '../../connector.js';
import type { IntegrationSpec } from '../../../domain/integration-spec.js';
import { timedOut } from '../socket-reasons.js';
import type { Target } from '../socket-reasons.js';
import { BATCH, sqsClient, sqsConfig, WAIT_SECONDS } from './config.js';
import type { SqsConfig } from './config.js';
import { attributesOf, Deletes, stringAttributes } from './deletes.js';
import { describeSqsError, NOT_A_URL, queueTarget } from './reasons.js';

/** Long polls in flight at most; a full batch starts one more, an empty one lets an extra go. */
const MAX_POLLS = 4;

/** One SQS client: one connect() attempt and, if the queue answered, the polls of that link. */
interface Link {
  readonly client: SQSClient;
  /** Aborts the probe and every poll when the link is dropped. */
  readonly abort: AbortController;
  up: boolean;
  /** Why the link was dropped by us (superseded, closed, timed out): what a pending connect() rejects with. */
  reason: string | undefined;
  polls: number;
  readonly deletes: Deletes;
  /** Set once dropped: resolves when pending deletes settled and the client is destroyed. */
  ended: Promise<void> | undefined;
}

/**
 * The SQS connector on @aws-sdk/client-sqs. connect() receives once without
 * waiting (an unknown queue or refused credentials fail there, in SQS's own
 * words), then long-polls: one poll when the queue is quiet, up to MAX_POLLS while
 * batches come back full. A message is deleted only once the supervisor
 * acknowledges it (retained); one it cannot keep returns after its visibility
 * timeout. Any failed poll ends the link: the supervisor decides when to try again.
 */
export class SqsConnector implements Connector {
  readonly #config: SqsConfig;
  readonly #events: ConnectorEvents;
  readonly #options: ConnectorOptions;
  readonly #target: Target | undefined;
  /** Remembered only: every message's topic is the queue URL. */
  #topics: readonly string[];
  #link: Link | undefined;
  #closed = false;

  constructor(spec: IntegrationSpec, events: ConnectorEvents, options: ConnectorOptions) {
    this.#config = sqsConfig(spec);
    this.#events = events;
    this.#options = options;
    this.#target = queueTarget(this.#config.queueUrl);
    this.#topics = spec.topics;
  }

  get topics(): readonly string[] {
    return this.#topics;
  }

  async connect(): Promise<void> {
    if (this.#closed) throw new ConnectError('The connector is closed');
    await this.#discard('Superseded by a new connection attempt');
    let client: SQSClient;
    try {
      client = sqsClient(this.#config, this.#options.connectTimeoutMs, this.#options.outbound);
    } catch {
      throw new ConnectError(NOT_A_URL);
    }
    const denied = this.#options.outbound?.literalRefusal(new URL(this.#config.queueUrl).hostname);
    if (denied !== undefined) throw new ConnectError(denied);
    const deletes = new Deletes(client, this.#config.queueUrl);
    const link: Link = { client, abort: new AbortController(), up: false, reason: undefined, polls: 0, deletes, ended: undefined };
    this.#link = link;
    const timer = setTimeout(() => this.#drop(link, timedOut(this.#options.connectTimeoutMs)), this.#options.connectTimeoutMs);
    let first: Message[];
    try {
      // The probe is a receive that does not wait: it needs no permission the link will not use anyway.
      first = await this.#receive(link, 0);
    } catch (error) {
      const reason = link.reason ?? describeSqsError(error, this.#target);
      this.#drop(link, reason);
      throw new ConnectError(reason);
    } finally {
      clearTimeout(timer);
    }
    if (this.#link !== link) throw new ConnectError(link.reason ?? 'The connection attempt was abandoned');
    link.up = true;
    this.#events.alive();
    // After connect() has resolved: the supervisor takes messages from a link it knows is up.
    setImmediate(() => {
      if (this.#link !== link) return;
      for (const message of first) this.#deliver(link, message);
      this.#startPoll(link);
      if (first.length === BATCH) this.#startPoll(link);
    });
  }

  async setTopics(topics: readonly string[]): Promise<void> {
    this.#topics = topics;
  }

  async publish(message: OutboundMessage): Promise<void> {
    const link = this.#link;
    if (!link?.up) throw new NotConnectedError();
    try {
      await link.client.send(
        new SendMessageCommand({
          QueueUrl: this.#config.queueUrl,
          MessageBody: message.payload.toString(),
          MessageAttributes: stringAttributes(message.attributes),
        }),
      );
    } catch (error) {
      throw new Error(describeSqsError(error, this.#target), { cause: error });
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#discard('The connector was closed');
  }

  #startPoll(link: Link): void {
    link.polls++;
    void this.#pollLoop(link);
  }

  async #pollLoop(link: Link): Promise<void> {
    while (this.#link === link) {
      let messages: Message[];
      try {
        messages = await this.#receive(link, WAIT_SECONDS);
      } catch (error) {
        this.#lost(link, describeSqsError(error, this.#target));
        break;
      }
      if (this.#link !== link) break;
      this.#events.alive();
      for (const message of messages) this.#deliver(link, message);
      if (messages.length === BATCH && link.polls < MAX_POLLS) this.#startPoll(link);
      else if (messages.length === 0 && link.polls > 1) break;
    }
    link.polls--;
  }

  async #receive(link: Link, waitSeconds: number): Promise<Message[]> {
    const input = {
      QueueUrl: this.#config.queueUrl,
      MaxNumberOfMessages: BATCH,
      WaitTimeSeconds: waitSeconds,
      MessageAttributeNames: ['All'],
      // A probe looks without taking: what it receives stays visible to the integrations that read the queue.
      ...(this.#options.probe ? { VisibilityTimeout: 0 } : {}),
    };
    const output = await link.client.send(new ReceiveMessageCommand(input), { abortSignal: link.abort.signal });
    return output.Messages ?? [];
  }

  #deliver(link: Link, message: Message): void {
    const handle = message.ReceiptHandle;
    this.#events.message({
      topic: this.#config.queueUrl,
      payload: message.Body ?? '',
      binary: false,
      sourceId: message.MessageId,
      attributes: attributesOf(message.MessageAttributes),
      // A receipt handle outlives its connection: a later link deletes what an ended one received.
      ack: handle === undefined ? undefined : () => (this.#link?.up ? this.#link : link).deletes.add(handle),
    });
  }

  /** An established link failed: reported once, then idle. */
  #lost(link: Link, reason: string): void {
    if (this.#link !== link) return;
    const wasUp = link.up;
    this.#drop(link, reason);
    if (wasUp) this.#events.down(reason);
  }

  /** Stops the polls and forgets the link; its client ends once pending deletes settled. */
  #drop(link: Link, reason: string): void {
    if (this.#link === link) this.#link = undefined;
    link.up = false;
    link.reason ??= reason;
    link.abort.abort();
    link.ended ??= link.deletes.settle().then(() => link.client.destroy());
  }

  async #discard(reason: string): Promise<void> {
    const link = this.#link;
    if (link === undefined) return;
    this.#drop(link, reason);
    await link.ended;
  }
}

export const createSqsConnector: ConnectorFactory = (spec, events, options) => new SqsConnector(spec, events, options);
