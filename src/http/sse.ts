import type { ServerResponse } from 'node:http';
import type { MessageSubscriber } from '../runtime/message-bus.js';

export interface SseOptions {
  /** Seconds between keep-alive comment lines. */
  readonly keepAliveSeconds: number;
  /** Events held for a client that reads slower than messages arrive; beyond it the oldest are dropped. */
  readonly maxBuffered: number;
  readonly eventName: string;
}

/**
 * One Server-Sent-Events response. Events written in the same event-loop turn
 * go out as one write. When the client's socket pushes back, events wait in a
 * bounded queue; past its limit the oldest are dropped and counted, and the
 * client is told with a `dropped` event once it catches up. A slow client
 * therefore costs bounded memory and never slows anyone else.
 */
export class SseStream implements MessageSubscriber {
  private queue: string[] = [];
  private head = 0;
  private dropped = 0;
  private blocked = false;
  private scheduled = false;
  private closed = false;
  private readonly keepAlive: NodeJS.Timeout;
  private readonly cleanups: (() => void)[] = [];

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
    this.keepAlive = setInterval(() => {
      if (!this.blocked) this.push(':keepalive\n\n');
    }, options.keepAliveSeconds * 1000);
    res.on('drain', () => {
      this.blocked = false;
      this.flush();
    });
    res.on('close', () => this.dispose());
  }

  /** Runs when the stream ends for any reason (client gone, source gone). */
  onClose(cleanup: () => void): void {
    if (this.closed) cleanup();
    else this.cleanups.push(cleanup);
  }

  deliver(data: string): void {
    this.push(`event: ${this.options.eventName}\ndata: ${data}\n\n`);
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

  private push(chunk: string): void {
    if (this.closed) return;
    this.queue.push(chunk);
    const queued = this.queue.length - this.head;
    if (this.blocked) {
      // Only a client whose socket pushes back loses events, the oldest first.
      if (queued > this.options.maxBuffered) {
        this.head += 1;
        this.dropped += 1;
        // Let go of the dropped ones too, not only skip them: a reader stalled for
        // hours must cost maxBuffered events, not everything ever sent to it.
        if (this.head >= this.options.maxBuffered) {
          this.queue = this.queue.slice(this.head);
          this.head = 0;
        }
      }
      return;
    }
    if (queued >= this.options.maxBuffered) {
      // A burst bigger than the buffer goes out now rather than waiting for the turn to end.
      this.flush();
    } else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        this.flush();
      });
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
    this.queue = [];
    this.head = 0;
    if (!this.res.write(out)) this.blocked = true;
  }

  private dispose(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.keepAlive);
    this.queue = [];
    for (const cleanup of this.cleanups.splice(0)) cleanup();
  }
}
