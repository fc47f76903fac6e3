/**
 * The in-memory Pub/Sub behind the gRPC peer: topics, subscriptions, and each
 * subscription's backlog and outstanding (delivered, not yet acknowledged)
 * messages with their ack deadlines. A message whose deadline passes, or that
 * gets a deadline of 0, goes back to the front of the backlog.
 */
export interface PubsubMessage {
  readonly data: Buffer;
  readonly attributes: Record<string, string>;
  readonly messageId: string;
  readonly publishTime: { seconds: number; nanos: number };
}

/** Where a subscription's messages go: an open StreamingPull. */
export interface Receiver {
  deliver(ackId: string, message: PubsubMessage, deliveryAttempt: number): void;
  readonly ackDeadlineSeconds: number;
}

interface Outstanding {
  readonly message: PubsubMessage;
  readonly attempt: number;
  timer: NodeJS.Timeout;
}

export class Subscription {
  readonly backlog: { message: PubsubMessage; attempt: number }[] = [];
  readonly outstanding = new Map<string, Outstanding>();
  readonly receivers = new Set<Receiver>();
  /** Message ids acknowledged, in order. */
  readonly acked: string[] = [];
  #nextAckId = 0;
  #turn = 0;

  constructor(
    readonly name: string,
    readonly topic: string,
    readonly ackDeadlineSeconds: number,
  ) {}

  enqueue(message: PubsubMessage, attempt = 1): void {
    this.backlog.push({ message, attempt });
    this.pump();
  }

  /** Hands the backlog to the open streams, in turn. */
  pump(): void {
    while (this.backlog.length > 0 && this.receivers.size > 0) {
      const receivers = [...this.receivers];
      const receiver = receivers[this.#turn++ % receivers.length]!;
      const { message, attempt } = this.backlog.shift()!;
      const ackId = `${this.name}#${++this.#nextAckId}`;
      const timer = setTimeout(() => this.#expire(ackId), receiver.ackDeadlineSeconds * 1000);
      this.outstanding.set(ackId, { message, attempt, timer });
      receiver.deliver(ackId, message, attempt);
    }
  }

  ack(ackId: string): void {
    const entry = this.outstanding.get(ackId);
    if (!entry) return;
    clearTimeout(entry.timer);
    this.outstanding.delete(ackId);
    this.acked.push(entry.message.messageId);
  }

  /** Sets a new deadline; 0 returns the message at once (a nack). */
  modifyDeadline(ackId: string, seconds: number): void {
    const entry = this.outstanding.get(ackId);
    if (!entry) return;
    clearTimeout(entry.timer);
    if (seconds <= 0) this.#expire(ackId);
    else entry.timer = setTimeout(() => this.#expire(ackId), seconds * 1000);
  }

  #expire(ackId: string): void {
    const entry = this.outstanding.get(ackId);
    if (!entry) return;
    clearTimeout(entry.timer);
    this.outstanding.delete(ackId);
    this.backlog.unshift({ message: entry.message, attempt: entry.attempt + 1 });
    this.pump();
  }

  stop(): void {
    for (const entry of this.outstanding.values()) clearTimeout(entry.timer);
  }
}

export class PubsubState {
  readonly topics = new Set<string>();
  readonly subscriptions = new Map<string, Subscription>();
  #nextMessageId = 0;

  publish(topic: string, messages: readonly { data: Buffer; attributes: Record<string, string> }[]): string[] {
    return messages.map(({ data, attributes }) => {
      const now = Date.now();
      const message: PubsubMessage = {
        data,
        attributes,
        messageId: String(++this.#nextMessageId),
        publishTime: { seconds: Math.floor(now / 1000), nanos: (now % 1000) * 1e6 },
      };
      for (const subscription of this.subscriptions.values()) if (subscription.topic === topic) subscription.enqueue(message);
      return message.messageId;
    });
  }

  stop(): void {
    for (const subscription of this.subscriptions.values()) subscription.stop();
  }
}
