import type { Clock, TimerHandle } from '../../src/runtime/clock.js';

/** A clock that moves only when told to; timers fire in due order. */
export class ManualClock implements Clock {
  private time: number;
  private timers: { at: number; seq: number; callback: () => void; cancelled: boolean }[] = [];
  private seq = 0;

  constructor(start = Date.parse('2026-01-01T00:00:00.000Z')) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  setTimeout(callback: () => void, ms: number): TimerHandle {
    const timer = { at: this.time + Math.max(0, ms), seq: this.seq++, callback, cancelled: false };
    this.timers.push(timer);
    return timer as TimerHandle;
  }

  clearTimeout(handle: TimerHandle): void {
    (handle as { cancelled: boolean }).cancelled = true;
  }

  /** Advances time, firing every timer that comes due (including ones those timers set). */
  advance(ms: number): void {
    const target = this.time + ms;
    for (;;) {
      const due = this.timers.filter((t) => !t.cancelled && t.at <= target).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      this.time = due.at;
      due.cancelled = true;
      due.callback();
    }
    this.time = target;
    this.timers = this.timers.filter((t) => !t.cancelled);
  }

  get pending(): number {
    return this.timers.filter((t) => !t.cancelled).length;
  }
}
