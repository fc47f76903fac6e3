import type { ReceivedEventData } from '@azure/event-hubs';
import type { PartitionCheckpoint } from './checkpoints.js';

interface Entry {
  readonly event: ReceivedEventData;
  /** The last event of the batch it came in. */
  readonly batchEnd: boolean;
  acked: boolean;
}

/**
 * One partition's messages that were handed out and not yet all
 * acknowledged. Acknowledgements may come in any order; checkpoints are
 * written in order, each only once every message up to it was acknowledged:
 * at the end of a batch as it completes, and at flush() (a clean stop) at the
 * furthest acknowledged message, so a restart replays nothing retained.
 */
export class PartitionLedger {
  #entries: Entry[] = [];
  #head = 0;
  /** The furthest event every message up to which was acknowledged. */
  #acked: ReceivedEventData | undefined;
  /** The last checkpoint handed to `write`, to skip writing it twice. */
  #written: number;
  #writing: Promise<void> = Promise.resolve();

  constructor(
    readonly partitionId: string,
    /** Where a checkpoint goes; errors are the caller's to report. */
    private readonly write: (checkpoint: PartitionCheckpoint, event: ReceivedEventData) => Promise<void>,
    startedAfter: number,
  ) {
    this.#written = startedAfter;
  }

  /** Records a batch; returns one ack per event, in the same order. */
  add(events: readonly ReceivedEventData[]): (() => void)[] {
    return events.map((event, index) => {
      const entry: Entry = { event, batchEnd: index === events.length - 1, acked: false };
      this.#entries.push(entry);
      return () => this.#ack(entry);
    });
  }

  /** Writes the furthest acknowledged checkpoint not yet written; resolves once every write so far settled. */
  flush(): Promise<void> {
    if (this.#acked !== undefined) this.#queue(this.#acked);
    return this.#writing;
  }

  /**
   * Forgets the messages awaiting acknowledgement: the SDK restarted the
   * partition's receiver from the last checkpoint and hands them out again.
   * Acks of the forgotten ones no longer move the checkpoint.
   */
  reset(): void {
    this.#entries = [];
    this.#head = 0;
  }

  /** Messages handed out and not yet acknowledged (in order up to the first gap). */
  get pending(): number {
    return this.#entries.length - this.#head;
  }

  #ack(entry: Entry): void {
    if (entry.acked) return;
    entry.acked = true;
    let batchEnd: ReceivedEventData | undefined;
    while (this.#head < this.#entries.length && this.#entries[this.#head]!.acked) {
      const done = this.#entries[this.#head++]!;
      this.#acked = done.event;
      if (done.batchEnd) batchEnd = done.event;
    }
    // Drop what is behind the head now and then, not on every ack.
    if (this.#head > 256 && this.#head * 2 > this.#entries.length) {
      this.#entries = this.#entries.slice(this.#head);
      this.#head = 0;
    }
    if (batchEnd !== undefined) this.#queue(batchEnd);
  }

  #queue(event: ReceivedEventData): void {
    if (event.sequenceNumber <= this.#written) return;
    this.#written = event.sequenceNumber;
    const checkpoint: PartitionCheckpoint = { partitionId: this.partitionId, sequenceNumber: event.sequenceNumber, offset: String(event.offset) };
    // `write` reports its own failures; a rejection here must not stop the writes after it.
    this.#writing = this.#writing.then(() => this.write(checkpoint, event)).catch(() => {});
  }
}
