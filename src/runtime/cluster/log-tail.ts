import type { Logger } from 'pino';
import type { MessageRepository, MessageRow } from '../../store/store.js';
import type { MessageBus } from '../message-bus.js';

/** Messages read per query. */
const PAGE = 1000;
const RETRY_MS = 1000;

interface Tail {
  /** The newest position handed to the bus. */
  last: number;
  /** The newest position known to be committed. */
  wanted: number;
  reading: boolean;
}

/**
 * In a cluster, every stream reads live messages in the order of the retained
 * log, whichever node received them: each commit is announced with its
 * application's newest position (`messages:<app>:<pos>` on the change feed),
 * and every node with readers of that application reads what is new, in
 * position order, and hands it to its bus. What this node committed itself it
 * passes on without reading it back (publish()), when nothing came between. One way for every
 * message to reach every stream, whichever node received it; a takeover
 * changes nothing for a reader.
 *
 * Positions follow commit order within an application (see appendPostgres),
 * so reading "after the last position handed on" never misses a message that
 * commits later with a lower one.
 */
export class LogTail {
  private readonly tails = new Map<string, Tail>();
  private stopped = false;

  constructor(
    private readonly messages: Pick<MessageRepository, 'page'>,
    private readonly bus: MessageBus,
    private readonly logger: Logger,
  ) {}

  /**
   * A reader of the application subscribed, holding everything up to `from`
   * (it replays from there itself). A tail already running is ahead of or
   * behind it: the reader's replay covers the first, its dedup the second.
   */
  follow(applicationId: string, from: number): void {
    if (this.tails.has(applicationId)) return;
    this.tails.set(applicationId, { last: from, wanted: from, reading: false });
  }

  /**
   * A message this node committed (the MessageLog hands each one over in
   * position order): passed on at once when it is the next position of its
   * application, as it nearly always is (positions are dense, so nothing else
   * committed in between), without reading it back. Otherwise another node
   * committed in between: read from the log, which holds both.
   */
  publish(row: MessageRow): void {
    const tail = this.tails.get(row.applicationId);
    if (!tail || row.pos <= tail.last) return;
    if (row.pos === tail.last + 1) {
      this.bus.publish(row);
      tail.last = row.pos;
      if (tail.wanted < tail.last) tail.wanted = tail.last;
      return;
    }
    this.committed(row.applicationId, row.pos);
  }

  /** The application's log holds everything up to `pos` (a commit announced on the change feed). */
  committed(applicationId: string, pos: number): void {
    const tail = this.tails.get(applicationId);
    if (!tail || pos <= tail.wanted) return;
    tail.wanted = pos;
    void this.read(applicationId, tail);
  }

  /** The change feed was down: commits may have gone unannounced, so every tail reads until it is at the end. */
  reset(): void {
    for (const [applicationId, tail] of this.tails) {
      tail.wanted = Number.MAX_SAFE_INTEGER;
      void this.read(applicationId, tail);
    }
  }

  stop(): void {
    this.stopped = true;
    this.tails.clear();
  }

  private async read(applicationId: string, tail: Tail): Promise<void> {
    if (tail.reading) return;
    tail.reading = true;
    try {
      while (tail.last < tail.wanted && !this.stopped) {
        if (!this.bus.hasApplication(applicationId)) {
          // Nobody here reads the application any more; a later reader starts its own tail.
          this.tails.delete(applicationId);
          return;
        }
        const target = tail.wanted;
        const { rows, prunedThrough } = await this.messages.page(applicationId, null, tail.last, PAGE);
        const stillThere = rows.length > 0 && rows[0]!.pos <= prunedThrough;
        // Pruned before this node could read them: each reader catches up from the log itself, and is told what it lost.
        // (Told before the rows are handed on, so none of them moves a reader past the gap.)
        if (prunedThrough > tail.last && !stillThere) this.bus.resyncApplication(applicationId);
        // Some may have been passed on meanwhile by publish().
        for (const row of rows) {
          if (row.pos <= tail.last) continue;
          this.bus.publish(row);
          tail.last = row.pos;
        }
        // At the end of the log (what was announced and is missing was removed since, or a reset found the end),
        // unless a commit was announced while this page was read.
        if (rows.length < PAGE && tail.wanted === target) tail.wanted = tail.last;
      }
    } catch (err) {
      this.logger.warn({ err, applicationId }, 'could not read new messages from the log; will retry');
      setTimeout(() => {
        tail.reading = false;
        void this.read(applicationId, tail);
      }, RETRY_MS).unref();
      return;
    }
    tail.reading = false;
  }
}
