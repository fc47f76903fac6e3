import type { v1 } from '@google-cloud/pubsub';
import type { ReceivedMessage } from '../../connector.js';
import { ACK_DEADLINE_SECONDS, oneAttempt } from './config.js';
import { describePubSubError, STREAM_ENDED } from './reasons.js';

export interface PullHandlers {
  message(message: ReceivedMessage): void;
  alive(): void;
  /** The stream failed or Pub/Sub closed it; called once, never after close(). */
  ended(reason: string): void;
  /** The client for acks that come after the stream ended: the live link's, if there is one. */
  ackClient(): v1.SubscriberClient;
}

/** How long one StreamingPull may stay open (gax's default deadline would end it after 30 min). */
const STREAM_DEADLINE_MS = 7 * 24 * 3600 * 1000;
/** Server-side flow control: Pub/Sub stops sending past this many unacknowledged messages. */
const MAX_OUTSTANDING = 1000;

type Duplex = ReturnType<v1.SubscriberClient['streamingPull']>;

interface PulledMessage {
  ackId?: string | null;
  message?: { data?: Uint8Array | string | null; attributes?: Record<string, string> | null; messageId?: string | null } | null;
}

/**
 * One StreamingPull on one subscription, through the SDK's generated client
 * with no retry. Acknowledgements gathered in one tick go out together on the
 * stream (or by Acknowledge once the stream is gone: an ack id outlives it).
 */
export class PullStream {
  readonly #subscription: string;
  readonly #topic: string;
  readonly #handlers: PullHandlers;
  readonly #stream: Duplex;
  #acks: string[] = [];
  #done = false;

  constructor(subscriber: v1.SubscriberClient, subscription: string, topic: string, handlers: PullHandlers) {
    this.#subscription = subscription;
    this.#topic = topic;
    this.#handlers = handlers;
    this.#stream = subscriber.streamingPull({ ...oneAttempt(STREAM_DEADLINE_MS) });
    this.#stream.on('data', (response: { receivedMessages?: PulledMessage[] | null }) => {
      if (this.#done) return;
      this.#handlers.alive();
      for (const received of response.receivedMessages ?? []) this.#deliver(received);
    });
    this.#stream.on('error', (error: unknown) => this.#end(describePubSubError(error)));
    this.#stream.on('end', () => this.#end(STREAM_ENDED));
    this.#stream.write({
      subscription,
      streamAckDeadlineSeconds: ACK_DEADLINE_SECONDS,
      maxOutstandingMessages: MAX_OUTSTANDING,
    });
  }

  close(): void {
    this.#flush();
    this.#done = true;
    this.#stream.end();
    this.#stream.cancel();
  }

  #deliver(received: PulledMessage): void {
    const ackId = received.ackId;
    const data = received.message?.data ?? '';
    this.#handlers.message({
      topic: this.#topic,
      payload: typeof data === 'string' ? Buffer.from(data, 'base64') : asBuffer(data),
      binary: false,
      sourceId: received.message?.messageId ?? undefined,
      attributes: received.message?.attributes ?? {},
      ack: ackId ? () => this.#ack(ackId) : undefined,
    });
  }

  #ack(ackId: string): void {
    this.#acks.push(ackId);
    if (this.#acks.length === 1) setImmediate(() => this.#flush());
  }

  #flush(): void {
    if (this.#acks.length === 0) return;
    const ackIds = this.#acks;
    this.#acks = [];
    if (!this.#done && this.#stream.writable) this.#stream.write({ ackIds });
    // Not retried: an ack that is lost brings the message again after its deadline (at least once).
    else this.#handlers.ackClient().acknowledge({ subscription: this.#subscription, ackIds }, oneAttempt(10_000)).catch(() => undefined);
  }

  #end(reason: string): void {
    if (this.#done) return;
    this.#done = true;
    this.#flush();
    this.#handlers.ended(reason);
  }
}

/** The SDK decodes `bytes` as a Buffer already; anything else is viewed as one, not copied. */
function asBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}
