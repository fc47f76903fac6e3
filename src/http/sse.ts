import type { ServerResponse } from 'node:http';
import { messageId } from '../runtime/messages.js';

export interface SseOptions {
  /** Seconds between keep-alive comment lines. */
  readonly keepAliveSeconds: number;
  /** Events held for a client that reads slower than they arrive. */
  readonly maxBuffered: number;
  /**
   * A client `maxBuffered` events behind: the events it has not been sent are
   * dropped and this is told the id of the last one it was sent, so it can be
   * served again from the retained log. Without it, the oldest events are
   * dropped and the client is told how many with a `dropped` event.
   */
  readonly onOverflow?: (lastSentId: number | undefined) => void;
  readonly metrics?: { sseOpened(): void; sseClosed(): void; sseDropped(count: number): void };
}

/**
 * One Server-Sent-Events response. Events sent in the same tick of the event
 * loop go out as one write. When the client's socket pushes back, events wait
 * in a bounded queue, so a slow client costs bounded memory and never slows
 * anyone else.
 */
export class SseStream {
  private queue: string[] = [];
  private ids: (number | undefined)[] = [];
  private head = 0;
  private dropped = 0;
  private blocked = false;
  private scheduled = false;
  private closed = false;
  private lastSent: number | undefined;
  private readonly keepAlive: NodeJS.Timeout;
  private readonly cleanups: (() => void)[] = [];
  private drainWaiters: (() => void)[] = [];

  constructor(
    private readonly res: ServerResponse,
    private readonly options: SseOptions,
  ) {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    // Sends the headers now so clients see the stream open before the first event.
    res.write(':ok\n\n');
    const metrics = options.metrics;
    if (metrics) {
      metrics.sseOpened();
      this.onClose(() => metrics.sseClosed());
    }
    this.keepAlive = setInterval(() => {
      if (!this.blocked) this.push(':keepalive\n\n', undefined);
    }, options.keepAliveSeconds * 1000);
    res.on('drain', () => {
      this.blocked = false;
      this.flush();
      if (!this.blocked) for (const waiter of this.drainWaiters.splice(0)) waiter();
    });
    res.on('close', () => this.dispose());
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** True while the client's socket pushes back. */
  get isBlocked(): boolean {
    return this.blocked;
  }

  /** Runs when the stream ends for any reason (client gone, source gone). */
  onClose(cleanup: () => void): void {
    if (this.closed) cleanup();
    else this.cleanups.push(cleanup);
  }

  /** Resolves once everything queued has been handed to the socket and it takes more (at once when it does). */
  drained(): Promise<void> {
    if (this.closed || !this.blocked) return Promise.resolve();
    return new Promise((resolve) => {
      this.drainWaiters.push(resolve);
      this.onClose(resolve);
    });
  }

  /** Queues an event; `id` (a message position) becomes the SSE `id:` field. */
  send(event: string, data: string, id?: number): void {
    const head = id === undefined ? '' : `id: ${messageId(id)}\n`;
    this.push(`${head}event: ${event}\ndata: ${data}\n\n`, id);
  }

  end(reason: string): void {
    if (this.closed) return;
    this.flush();
    this.res.end(`:closed ${reason.replace(/[\r\n]/g, ' ')}\n\n`);
    this.dispose();
  }

  get droppedCount(): number {
    return this.dropped;
  }

  /** Events held in memory, dropped ones not yet released included (at most twice the buffer). */
  get heldCount(): number {
    return this.queue.length;
  }

  private push(chunk: string, id: number | undefined): void {
    if (this.closed) return;
    this.queue.push(chunk);
    this.ids.push(id);
    const queued = this.queue.length - this.head;
    if (this.blocked) {
      if (queued > this.options.maxBuffered) this.overflow();
      return;
    }
    if (queued >= this.options.maxBuffered) {
      // A burst bigger than the buffer goes out now rather than waiting for the tick to end.
      this.flush();
    } else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        this.flush();
      });
    }
  }

  private overflow(): void {
    if (this.options.onOverflow) {
      this.queue = [];
      this.ids = [];
      this.head = 0;
      this.options.onOverflow(this.lastSent);
      return;
    }
    // Only a client whose socket pushes back loses events, the oldest first.
    this.head += 1;
    this.dropped += 1;
    this.options.metrics?.sseDropped(1);
    // Let go of the dropped ones too, not only skip them: a reader stalled for
    // hours must cost maxBuffered events, not everything ever sent to it.
    if (this.head >= this.options.maxBuffered) {
      this.queue = this.queue.slice(this.head);
      this.ids = this.ids.slice(this.head);
      this.head = 0;
    }
  }

  private flush(): void {
    if (this.closed || this.blocked || this.head >= this.queue.length) return;
    let out = '';
    if (this.dropped > 0) {
      out = `event: dropped\ndata: {"count":${this.dropped}}\n\n`;
      this.dropped = 0;
    }
    out += this.head === 0 ? this.queue.join('') : this.queue.slice(this.head).join('');
    for (let i = this.ids.length - 1; i >= this.head; i--) {
      if (this.ids[i] !== undefined) {
        this.lastSent = this.ids[i];
        break;
      }
    }
    this.queue = [];
    this.ids = [];
    this.head = 0;
    if (!this.res.write(out)) this.blocked = true;
  }

  private dispose(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.keepAlive);
    this.queue = [];
    this.ids = [];
    for (const cleanup of this.cleanups.splice(0)) cleanup();
    for (const waiter of this.drainWaiters.splice(0)) waiter();
  }
}
