import type { Logger } from 'pino';
import type { MessageRow, NewMessage, Store } from '../store/store.js';
import type { Clock, TimerHandle } from './clock.js';
import type { MessageBus } from './message-bus.js';
import { toNewMessage, type InboundMessage } from './messages.js';

export interface RetentionOptions {
  /** Messages kept per integration; 0 turns retention off. */
  readonly count: number;
  /** Oldest message kept, in seconds; 0 turns retention off. */
  readonly seconds: number;
}

/** Messages appended in one transaction at most; more wait for the next. */
const MAX_BATCH = 5000;
/**
 * Messages held while the store cannot take them; past this, new ones are
 * refused (and not acknowledged). Well above HIGH_WATER: what the paused
 * connections had already read (a socket buffer each, times a thousand
 * connections) still arrives after they pause.
 */
const MAX_PENDING = 250_000;
/** Past this many waiting, the sources are asked to stop reading (see onCongestion); below LOW_WATER they go on. */
const HIGH_WATER = 20_000;
const LOW_WATER = 5_000;
const RETRY_MS = 1000;
/** Messages handed to the streams per turn of the event loop. */
const DELIVERY_SLICE = 256;
/**
 * A commit of fewer messages than SMALL_COMMIT that would start within
 * LINGER_MS of the previous one waits until LINGER_MS have passed since it (or
 * until SMALL_COMMIT are waiting). Messages that arrive steadily but one or
 * two per socket read then share a commit, its hand-off to the writer, its
 * acknowledgements and its stream writes, instead of each paying for all of
 * them; a message after a quiet spell is committed at once.
 */
const SMALL_COMMIT = 128;
const LINGER_MS = 2;

interface Pending {
  readonly row: NewMessage;
  readonly ack: (() => void) | undefined;
}

/**
 * Where received messages go (SPEC §6): appended to the store in batches (one
 * in flight at a time, so a busy log commits many messages at once), then
 * handed to the streams with their ids, then acknowledged to their source. A
 * message is never acknowledged before it is committed, and never shown to a
 * stream before it has the id a reader can resume from. With retention off,
 * messages go straight to the streams and are acknowledged on receipt.
 *
 * Pruning rides along: an integration is trimmed to its count once it has
 * received a tenth more, and messages past their age are swept periodically.
 */
export class MessageLog {
  readonly retaining: boolean;
  private pending: Pending[] = [];
  private flushing = false;
  /** A flush is due: on the next turn, or when `linger` fires. */
  private scheduled = false;
  private linger: TimerHandle | undefined;
  /** When the last commit started (clock ms). */
  private lastCommitAt = Number.NEGATIVE_INFINITY;
  private retryTimer: TimerHandle | undefined;
  private sweepTimer: TimerHandle | undefined;
  private pruning: Promise<void> = Promise.resolve();
  private readonly sincePrune = new Map<string, number>();
  private readonly gone = new Set<string>();
  /** With retention off: ids from the clock, so they still grow across restarts. */
  private readonly livePositions = new Map<string, number>();
  private refused = 0;
  private congested = false;
  private readonly congestionListeners: ((congested: boolean) => void)[] = [];
  /** Committed, acknowledged, on their way to the streams (see deliver()). */
  private delivering: MessageRow[] = [];
  private delivery: NodeJS.Immediate | undefined;
  private stopped = false;

  constructor(
    private readonly store: Store,
    private readonly bus: Pick<MessageBus, 'publish'>,
    private readonly retention: RetentionOptions,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {
    this.retaining = retention.count > 0 && retention.seconds > 0;
  }

  start(): void {
    if (!this.retaining) return;
    const every = Math.min(60_000, Math.max(1000, (this.retention.seconds * 1000) / 10));
    const sweep = () => {
      this.sweepTimer = this.clock.setTimeout(sweep, every);
      this.sweepTimer.unref?.();
      this.queuePrune(() => this.store.messages.pruneBefore(this.clock.now() - this.retention.seconds * 1000));
    };
    sweep();
  }

  append(message: InboundMessage): void {
    const row = toNewMessage(message);
    if (!this.retaining) {
      this.bus.publish(withPosition(row, this.livePosition(row.applicationId)));
      message.ack?.();
      return;
    }
    if (this.stopped || this.gone.has(row.integrationId)) return;
    if (this.pending.length >= MAX_PENDING) {
      // Not acknowledged: a source that waits for one delivers it again.
      if (this.refused++ % 10_000 === 0) this.logger.warn({ pending: this.pending.length }, 'the store is not keeping up; refusing messages');
      return;
    }
    this.pending.push({ row, ack: message.ack });
    if (!this.congested && this.pending.length >= HIGH_WATER) this.setCongested(true);
    if (this.linger && this.pending.length >= SMALL_COMMIT) {
      // Enough for a commit worth making: no reason to wait any longer.
      this.clock.clearTimeout(this.linger);
      this.linger = undefined;
      setImmediate(this.scheduledFlush);
    }
    this.schedule();
  }

  /**
   * Told when messages arrive faster than the store keeps them (true) and
   * when it has caught up (false): the supervisor then stops and restarts
   * reading from the sources, so a flood waits at the source (the broker's
   * queue, the socket) instead of being refused here.
   */
  onCongestion(listener: (congested: boolean) => void): void {
    this.congestionListeners.push(listener);
  }

  private setCongested(congested: boolean): void {
    this.congested = congested;
    for (const listener of this.congestionListeners) listener(congested);
  }

  /** The integration is gone: its messages still waiting are dropped (the store drops the rest). */
  forget(integrationId: string): void {
    // Remembered only until any batch that still holds its messages has settled.
    if (this.gone.size >= 10_000) this.gone.clear();
    this.gone.add(integrationId);
    this.pending = this.pending.filter((p) => p.row.integrationId !== integrationId);
    this.sincePrune.delete(integrationId);
  }

  /** Commits what is pending (waiting for a batch in flight), then stops taking messages. */
  async stop(): Promise<void> {
    if (this.sweepTimer) this.clock.clearTimeout(this.sweepTimer);
    if (this.retryTimer) this.clock.clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    if (this.linger) this.clock.clearTimeout(this.linger);
    this.linger = undefined;
    this.scheduled = false;
    while (this.flushing) await new Promise((resolve) => setImmediate(resolve));
    // Every batch, until none is left or the store refuses one (what is left is never acknowledged: its source sends it again).
    while (this.pending.length > 0 && this.retryTimer === undefined) await this.flush();
    if (this.retryTimer) this.clock.clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.stopped = true;
    await this.pruning;
  }

  private livePosition(applicationId: string): number {
    const next = Math.max((this.livePositions.get(applicationId) ?? 0) + 1, this.clock.now() * 1000);
    this.livePositions.set(applicationId, next);
    return next;
  }

  /** Commits what is pending on the next turn, or a moment later when it is a small commit right after another (see LINGER_MS). */
  private schedule(): void {
    if (this.scheduled || this.flushing || this.retryTimer) return;
    this.scheduled = true;
    const wait = this.pending.length < SMALL_COMMIT ? this.lastCommitAt + LINGER_MS - this.clock.now() : 0;
    if (wait > 0) this.linger = this.clock.setTimeout(this.scheduledFlush, wait);
    else setImmediate(this.scheduledFlush);
  }

  private readonly scheduledFlush = (): void => {
    // A linger cut short leaves its timer cancelled and an immediate in its place: whichever comes first flushes.
    if (!this.scheduled) return;
    this.scheduled = false;
    if (this.linger) this.clock.clearTimeout(this.linger);
    this.linger = undefined;
    void this.flush();
  };

  private async flush(): Promise<void> {
    if (this.flushing || this.pending.length === 0) return;
    this.flushing = true;
    this.lastCommitAt = this.clock.now();
    const batch = this.pending.splice(0, MAX_BATCH);
    let positions: number[];
    try {
      positions = await this.store.messages.append(batch.map((p) => p.row));
    } catch (err) {
      this.flushing = false;
      // Messages of integrations deleted meanwhile can never be kept; the rest are tried again.
      this.pending = [...batch.filter((p) => !this.gone.has(p.row.integrationId)), ...this.pending];
      this.logger.warn({ err, pending: this.pending.length }, 'could not keep received messages; will retry');
      if (!this.stopped) {
        this.retryTimer = this.clock.setTimeout(() => {
          this.retryTimer = undefined;
          void this.flush();
        }, RETRY_MS);
        this.retryTimer.unref?.();
      }
      return;
    }
    this.flushing = false;
    if (this.congested && this.pending.length <= LOW_WATER) this.setCongested(false);
    for (let i = 0; i < batch.length; i++) {
      const { row, ack } = batch[i]!;
      this.delivering.push(withPosition(row, positions[i]!));
      ack?.();
      this.count(row.integrationId);
    }
    this.deliver();
    if (this.pending.length > 0) this.schedule();
  }

  /**
   * Committed messages reach the streams a slice per turn of the event loop,
   * so a big commit does not land on a stream as one burst bigger than its
   * buffer: a reader that keeps up drains its socket between slices.
   */
  private deliver(): void {
    if (this.delivery) return;
    const step = () => {
      const slice = this.delivering.splice(0, DELIVERY_SLICE);
      for (const message of slice) this.bus.publish(message);
      this.delivery = this.delivering.length > 0 ? setImmediate(step) : undefined;
    };
    step();
  }

  private count(integrationId: string): void {
    const n = (this.sincePrune.get(integrationId) ?? 0) + 1;
    if (n < Math.max(1, Math.ceil(this.retention.count / 10))) {
      this.sincePrune.set(integrationId, n);
      return;
    }
    this.sincePrune.set(integrationId, 0);
    this.queuePrune(() => this.store.messages.keepNewest(integrationId, this.retention.count));
  }

  /** Pruning runs one step at a time beside the appends, never ahead of them. */
  private queuePrune(step: () => Promise<void>): void {
    this.pruning = this.pruning.then(step).catch((err: unknown) => this.logger.warn({ err }, 'could not prune retained messages'));
  }
}

/**
 * The row with its position, built field by field: V8 (Node 20) is slow to add
 * a property to a spread copy (`{ ...row, pos }`: about a microsecond), once per message.
 */
function withPosition(row: NewMessage, pos: number): MessageRow {
  return {
    integrationId: row.integrationId,
    applicationId: row.applicationId,
    time: row.time,
    topic: row.topic,
    message: row.message,
    encoding: row.encoding,
    sourceId: row.sourceId,
    attributes: row.attributes,
    pos,
  };
}
