import { earliestEventPosition } from '@azure/event-hubs';
import type { EventHubConsumerClient, EventPosition, PartitionContext, ReceivedEventData, Subscription } from '@azure/event-hubs';
import type { ConnectorEvents } from '../../connector.js';
import type { Target } from '../socket-reasons.js';
import type { PartitionCheckpoint } from './checkpoints.js';
import { PartitionLedger } from './ledger.js';
import { describeEventHubError } from './reasons.js';
import { receivedMessage } from './received.js';

/** Events per processEvents call at most. */
const MAX_BATCH = 100;
/** An idle partition still reports in this often (an empty batch), which is how a partition that failed is seen to be well again. */
const WAIT_SECONDS = 5;

export type ReaderEvents = Pick<ConnectorEvents, 'message' | 'alive' | 'trouble'>;

/** Where a partition's reading starts: after this checkpoint (sequence number -1: from the partition's start). */
export type StartingPoint = PartitionCheckpoint;

/**
 * The receivers of one link, one SDK subscription per partition (no load
 * balancing: this integration owns every partition of its consumer group).
 * A partition that fails is reported through trouble() and left to the SDK's
 * processor, which starts its receiver again (every 10 s) from the last
 * checkpoint while the others keep flowing.
 */
export class PartitionReaders {
  readonly #ledgers = new Map<string, PartitionLedger>();
  readonly #contexts = new Map<string, PartitionContext>();
  /** Failing partitions (and checkpoint writes) by key, with the reason. */
  readonly #troubles = new Map<string, string>();
  #reported: string | null = null;
  #subscriptions: Subscription[] = [];
  #stopped = false;

  constructor(
    private readonly consumer: EventHubConsumerClient,
    private readonly hubName: string,
    private readonly save: (checkpoint: PartitionCheckpoint) => Promise<void>,
    private readonly events: ReaderEvents,
    private readonly target: Target | undefined,
  ) {}

  start(points: readonly StartingPoint[]): void {
    for (const point of points) {
      const id = point.partitionId;
      this.#ledgers.set(id, new PartitionLedger(id, (checkpoint, event) => this.#write(checkpoint, event), point.sequenceNumber));
      const startPosition: EventPosition = point.sequenceNumber < 0 ? earliestEventPosition : { sequenceNumber: point.sequenceNumber, isInclusive: false };
      const subscription = this.consumer.subscribe(
        id,
        {
          // The partition is this subscription's own: the SDK leaves context.partitionId empty for errors of its processor loop.
          processInitialize: async (context) => this.#initialize(id, context),
          processEvents: async (events, context) => this.#received(id, events, context),
          processError: async (error) => this.#failed(error, id),
        },
        { startPosition, maxBatchSize: MAX_BATCH, maxWaitTimeInSeconds: WAIT_SECONDS },
      );
      this.#subscriptions.push(subscription);
    }
  }

  /**
   * Stops reporting at once and writes the checkpoints of what was
   * acknowledged (`flushed`); `closed` settles when the SDK has detached every
   * receiver, which, on a link that is gone, may take its operation timeout.
   */
  stop(): { flushed: Promise<void>; closed: Promise<void> } {
    this.#stopped = true;
    const subscriptions = this.#subscriptions.splice(0);
    return {
      flushed: Promise.all([...this.#ledgers.values()].map((ledger) => ledger.flush())).then(() => {}),
      closed: Promise.allSettled(subscriptions.map((subscription) => subscription.close())).then(() => {}),
    };
  }

  #initialize(id: string, context: PartitionContext): void {
    if (this.#stopped) return;
    this.#contexts.set(id, context);
    // A (re)started receiver reads from the last checkpoint: what was handed out after it comes again.
    this.#ledgers.get(id)?.reset();
  }

  #received(id: string, events: ReceivedEventData[], context: PartitionContext): void {
    if (this.#stopped) return;
    this.#contexts.set(id, context);
    if (this.#troubles.delete(id)) this.#report();
    this.events.alive();
    const ledger = this.#ledgers.get(id);
    if (ledger === undefined || events.length === 0) return;
    const acks = ledger.add(events);
    events.forEach((event, index) => this.events.message(receivedMessage(this.hubName, id, event, acks[index]!)));
  }

  #failed(error: Error, partitionId: string): void {
    if (this.#stopped) return;
    const reason = describeEventHubError(error, this.target);
    this.#troubles.set(partitionId, `Partition ${partitionId}: ${reason}`);
    this.#report();
  }

  async #write(checkpoint: PartitionCheckpoint, event: ReceivedEventData): Promise<void> {
    const key = `checkpoint ${checkpoint.partitionId}`;
    try {
      await this.save(checkpoint);
      if (this.#troubles.delete(key)) this.#report();
    } catch (error) {
      this.#troubles.set(key, `Partition ${checkpoint.partitionId}: the checkpoint could not be saved: ${describeEventHubError(error, undefined)}`);
      this.#report();
    }
    // The SDK's own (in-memory) checkpoint is where it restarts a failed partition's receiver from.
    await this.#contexts
      .get(checkpoint.partitionId)
      ?.updateCheckpoint(event)
      .catch(() => {});
  }

  #report(): void {
    if (this.#stopped) return;
    const reason = this.#troubles.size === 0 ? null : [...this.#troubles.values()].join('; ');
    if (reason === this.#reported) return;
    this.#reported = reason;
    this.events.trouble?.(reason);
  }
}
