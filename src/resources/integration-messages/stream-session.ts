import type { SseStream } from '../../http/sse.js';
import type { MessageSubscriber } from '../../runtime/message-bus.js';
import type { MessagePort, MessageScope } from '../../runtime/message-feed.js';
import { messageData } from '../../runtime/messages.js';

const FELL_BEHIND = 'Messages after the last one sent were pruned before they could be sent (see MESSAGE_RETENTION_COUNT and MESSAGE_RETENTION_SECONDS); the stream goes on from the oldest retained message';

/** Retained messages read per query while catching up (less when the SSE buffer is smaller, so a page never overflows it). */
const PAGE = 500;

/**
 * One message stream (SPEC §6): with a cursor it first replays every retained
 * message after it, in order, then continues live with no gap and no
 * duplicate. Live messages arriving during a replay are held and sent after
 * it, those the replay already sent skipped by position. A reader that falls
 * `SSE_BUFFER` events behind is not skipped ahead: its stream stops taking
 * live messages and, once the reader catches up, replays from the last
 * message it was sent, then goes live again. With retention off the stream
 * is live only (and a slow reader loses the oldest events, told with a
 * `dropped` event).
 */
export class StreamSession implements MessageSubscriber {
  private mode: 'live' | 'replaying' | 'lagging' = 'live';
  private held: { pos: number; data: string }[] = [];
  /** Live messages came faster than a replay could hold them: replay again from the store. */
  private heldOverflow = false;
  private last = 0;
  /** The newest pruned position the reader was told of (messagesLost), so it is told once. */
  private told = 0;
  private readonly page: number;

  constructor(
    private readonly stream: SseStream,
    private readonly port: MessagePort,
    private readonly scope: MessageScope,
    private readonly maxHeld: number,
  ) {
    this.page = Math.max(1, Math.min(PAGE, maxHeld - 1));
  }

  /**
   * Subscribes, then replays from `cursor` when one is given; `toldThrough`
   * is the pruned position a messagesLost event sent before already covers.
   */
  start(cursor: number | undefined, toldThrough = 0): () => void {
    const unsubscribe = this.port.subscribe(this.scope, this, cursor);
    this.told = toldThrough;
    if (cursor !== undefined && this.port.retaining) {
      this.last = cursor;
      void this.catchUp();
    }
    return unsubscribe;
  }

  /** The stream's SSE buffer overflowed (see SseOptions.onOverflow): serve the reader from the log once it drains. */
  overflowed(lastSent: number | undefined): void {
    if (lastSent !== undefined) this.last = lastSent;
    if (this.mode !== 'live') {
      this.heldOverflow = true;
      return;
    }
    this.mode = 'lagging';
    void this.stream.drained().then(() => this.catchUp());
  }

  /** Live messages after the last one sent were skipped (a cluster node's log tail fell behind pruning): replay from the log. */
  resync(): void {
    if (!this.port.retaining) return;
    if (this.mode === 'live') void this.catchUp();
    else this.heldOverflow = true;
  }

  deliver(pos: number, data: string): void {
    if (this.mode === 'live') {
      if (pos <= this.last) return;
      this.last = pos;
      this.stream.send('integrationMessage', data, pos);
      return;
    }
    if (this.mode === 'lagging') return;
    if (this.held.length >= this.maxHeld) {
      this.held = [];
      this.heldOverflow = true;
      return;
    }
    this.held.push({ pos, data });
  }

  end(reason: string): void {
    this.stream.end(reason);
  }

  private async catchUp(): Promise<void> {
    this.mode = 'replaying';
    const wide = this.scope.integrationId === null;
    try {
      for (;;) {
        this.heldOverflow = false;
        let page;
        do {
          if (this.stream.isClosed) return;
          const read = await this.port.page(this.scope, this.last, this.page);
          page = read.rows;
          // Pruning goes on beside a replay. Messages up to the mark are deleted together, so if the
          // page still starts at or below the mark nothing is gone yet; past it, what lay between the
          // last message sent and the mark was pruned: the reader is told, never skipped ahead silently.
          const pruned = read.prunedThrough;
          const stillThere = page.length > 0 && page[0]!.pos <= pruned;
          if (pruned > this.last && pruned > this.told && !stillThere) {
            this.told = pruned;
            this.stream.send('messagesLost', JSON.stringify({ ...(this.scope.integrationId ? { integrationId: this.scope.integrationId } : {}), reason: FELL_BEHIND }));
          }
          for (const row of page) {
            this.stream.send('integrationMessage', messageData(row, wide), row.pos);
            this.last = row.pos;
          }
          // Let the reader take this page before reading the next.
          await this.stream.drained();
        } while (page.length === this.page);
        if (!this.heldOverflow) break;
      }
    } catch {
      this.stream.end('The retained messages could not be read; resume from the last id received');
      return;
    }
    const held = this.held;
    this.held = [];
    this.mode = 'live';
    for (const { pos, data } of held) this.deliver(pos, data);
  }
}
