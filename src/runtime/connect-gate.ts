import type { Clock, TimerHandle } from './clock.js';

/**
 * Admits at most `perSecond` connection attempts in any second across every
 * integration, in arrival order. A token bucket holding a tenth of a second's
 * worth keeps bursts small; it refills at the rest of the rate, so a full
 * bucket plus a second of refill never passes `perSecond`. After a broker
 * restart thousands of links want back at once; jitter spreads them, this
 * caps the peak.
 */
export class ConnectGate {
  private readonly waiting: { admit: () => void; withdrawn: boolean }[] = [];
  private head = 0;
  private tokens: number;
  private lastRefill: number;
  private readonly capacity: number;
  /** Tokens per second: the capacity and one second of refill together make the rate. */
  private readonly refillRate: number;
  private timer: TimerHandle | undefined;

  constructor(
    readonly perSecond: number,
    private readonly clock: Clock,
  ) {
    this.capacity = Math.max(1, Math.floor(perSecond / 10));
    this.refillRate = Math.max(1, perSecond - this.capacity);
    this.tokens = this.capacity;
    this.lastRefill = clock.now();
  }

  /** Runs `admit` once a slot is free; returns a function that withdraws the request. */
  enter(admit: () => void): () => void {
    const entry = { admit, withdrawn: false };
    this.waiting.push(entry);
    this.drain();
    return () => {
      entry.withdrawn = true;
    };
  }

  get queued(): number {
    return this.waiting.length - this.head;
  }

  stop(): void {
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.waiting.length = 0;
    this.head = 0;
  }

  private refill(): void {
    const now = this.clock.now();
    this.tokens = Math.min(this.capacity, this.tokens + ((now - this.lastRefill) / 1000) * this.refillRate);
    this.lastRefill = now;
  }

  private drain(): void {
    this.refill();
    while (this.head < this.waiting.length && this.tokens >= 1) {
      const entry = this.waiting[this.head]!;
      this.head += 1;
      if (entry.withdrawn) continue;
      this.tokens -= 1;
      entry.admit();
    }
    if (this.head > 1024 && this.head * 2 > this.waiting.length) {
      this.waiting.splice(0, this.head);
      this.head = 0;
    }
    if (this.head < this.waiting.length && !this.timer) {
      const wait = Math.max(1, Math.ceil(1000 / this.refillRate));
      this.timer = this.clock.setTimeout(() => {
        this.timer = undefined;
        this.drain();
      }, wait);
      this.timer.unref?.();
    }
  }
}
