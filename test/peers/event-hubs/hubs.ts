/**
 * The peer's state: hubs, their partitions, and the events each partition
 * keeps, numbered as Event Hubs numbers them (sequence numbers from 0, offsets
 * as the byte position of the event in the partition's log).
 */
export interface StoredEvent {
  readonly partitionId: string;
  readonly sequenceNumber: number;
  /** A decimal string, as the service sends it; here the sum of the sizes of the events before. */
  readonly offset: string;
  readonly enqueuedTime: Date;
  /** The body as the SDK decodes it: JSON parsed from a data section when it parses, else its bytes; an AMQP value as is. */
  readonly body: unknown;
  /** The body section as it travels (rhea's form), re-sent unchanged to receivers. */
  readonly section: unknown;
  readonly properties: Readonly<Record<string, unknown>>;
  readonly partitionKey: string | undefined;
  /** True when a client sent it through a sender link; false when the test appended it. */
  readonly fromClient: boolean;
}

export interface NewEvent {
  /** A Buffer travels as its bytes; anything else as its JSON, both in a data section (what the SDK does). */
  readonly body: unknown;
  readonly properties?: Readonly<Record<string, unknown>>;
  readonly partitionKey?: string;
}

/** An event as it is written to a partition. */
export interface EventRecord {
  readonly body: unknown;
  readonly section: unknown;
  readonly size: number;
  readonly properties: Readonly<Record<string, unknown>>;
  readonly partitionKey: string | undefined;
  readonly fromClient: boolean;
}

export class Partition {
  readonly events: StoredEvent[] = [];
  /** Set by failPartition(): receivers are detached and refused, sends rejected, with this description. */
  failure: string | undefined;
  #nextOffset = 0;
  readonly #listeners = new Set<() => void>();

  constructor(readonly id: string) {}

  append(record: EventRecord): StoredEvent {
    const stored: StoredEvent = {
      partitionId: this.id,
      sequenceNumber: this.events.length,
      offset: String(this.#nextOffset),
      enqueuedTime: new Date(),
      body: record.body,
      section: record.section,
      properties: record.properties,
      partitionKey: record.partitionKey,
      fromClient: record.fromClient,
    };
    this.#nextOffset += Math.max(record.size, 1);
    this.events.push(stored);
    for (const listener of this.#listeners) listener();
    return stored;
  }

  /** Calls `listener` after each append; returns the unsubscribe. */
  watch(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  get lastSequenceNumber(): number {
    return this.events.length - 1;
  }
}

export class Hub {
  readonly partitions = new Map<string, Partition>();
  readonly consumerGroups: Set<string>;
  readonly createdAt = new Date();
  #roundRobin = 0;

  constructor(
    readonly name: string,
    partitionCount: number,
    consumerGroups: readonly string[],
  ) {
    for (let i = 0; i < partitionCount; i++) this.partitions.set(String(i), new Partition(String(i)));
    this.consumerGroups = new Set(['$default', ...consumerGroups]);
  }

  /** Where an event sent to the hub itself lands: by partition key hash, else round robin. */
  choosePartition(partitionKey: string | undefined): Partition {
    const ids = [...this.partitions.keys()];
    const index = partitionKey === undefined ? this.#roundRobin++ % ids.length : hashOf(partitionKey) % ids.length;
    return this.partitions.get(ids[index] ?? '0')!;
  }
}

function hashOf(key: string): number {
  let hash = 0;
  for (let i = 0; i < key.length; i++) hash = (hash * 31 + key.charCodeAt(i)) >>> 0;
  return hash;
}
