import { describe, expect, it } from 'vitest';
import { Backoff } from '../../src/runtime/backoff.js';
import { ConnectGate } from '../../src/runtime/connect-gate.js';
import { ManualClock } from '../support/manual-clock.js';

describe('Backoff (full jitter)', () => {
  it('doubles the window from the base up to the cap', () => {
    const backoff = new Backoff({ baseMs: 1000, maxMs: 60_000 }, () => 0.999999);
    const delays = Array.from({ length: 9 }, () => backoff.next());
    expect(delays).toEqual([999, 1999, 3999, 7999, 15999, 31999, 59999, 59999, 59999]);
  });

  it('draws uniformly inside the window', () => {
    const backoff = new Backoff({ baseMs: 1000, maxMs: 60_000 }, () => 0.5);
    expect([backoff.next(), backoff.next(), backoff.next()]).toEqual([500, 1000, 2000]);
  });

  it('starts over after reset', () => {
    const backoff = new Backoff({ baseMs: 1000, maxMs: 60_000 }, () => 0.999999);
    backoff.next();
    backoff.next();
    backoff.reset();
    expect(backoff.next()).toBe(999);
  });

  it('spreads a crowd: 1,000 first delays cover the window with no big bunch', () => {
    const counts = new Array(10).fill(0) as number[];
    for (let i = 0; i < 1000; i++) counts[Math.floor(new Backoff({ baseMs: 1000, maxMs: 60_000 }).next() / 100)]! += 1;
    for (const n of counts) expect(n).toBeLessThan(200);
  });

  it('never overflows after very many attempts', () => {
    const backoff = new Backoff({ baseMs: 1000, maxMs: 60_000 }, () => 0.999999);
    for (let i = 0; i < 2000; i++) backoff.next();
    expect(backoff.next()).toBe(59999);
  });
});

describe('ConnectGate', () => {
  it('admits at most the rate per second, in arrival order', () => {
    const clock = new ManualClock();
    const gate = new ConnectGate(10, clock);
    const admitted: number[] = [];
    for (let i = 0; i < 25; i++) gate.enter(() => admitted.push(i));
    expect(admitted).toHaveLength(1);
    clock.advance(500);
    expect(admitted.length).toBeGreaterThanOrEqual(5);
    expect(admitted.length).toBeLessThanOrEqual(7);
    clock.advance(2200);
    expect(admitted).toEqual(Array.from({ length: 25 }, (_, i) => i));
    expect(gate.queued).toBe(0);
  });

  it('never admits more than the rate in any second, a full bucket at the start included', () => {
    const clock = new ManualClock();
    const gate = new ConnectGate(1000, clock);
    const times: number[] = [];
    for (let i = 0; i < 5000; i++) gate.enter(() => times.push(clock.now()));
    clock.advance(10_000);
    expect(times).toHaveLength(5000);
    let busiest = 0;
    for (let i = 0, j = 0; i < times.length; i++) {
      while (times[j]! < times[i]! - 999) j++;
      busiest = Math.max(busiest, i - j + 1);
    }
    expect(busiest).toBeLessThanOrEqual(1000);
    // And it still goes at nearly the rate: 5,000 in about five seconds.
    expect(times.at(-1)! - times[0]!).toBeLessThan(5600);
  });

  it('skips withdrawn requests without spending a slot', () => {
    const clock = new ManualClock();
    const gate = new ConnectGate(1, clock);
    const admitted: string[] = [];
    gate.enter(() => admitted.push('a'));
    const withdraw = gate.enter(() => admitted.push('b'));
    gate.enter(() => admitted.push('c'));
    withdraw();
    clock.advance(1000);
    expect(admitted).toEqual(['a', 'c']);
  });
});
