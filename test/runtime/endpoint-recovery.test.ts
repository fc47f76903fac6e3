import { describe, expect, it } from 'vitest';
import { EndpointRecovery } from '../../src/runtime/endpoint-recovery.js';

describe('EndpointRecovery', () => {
  it('hurries everyone waiting on the endpoint that was reached, and only them, once', () => {
    const recovery = new EndpointRecovery({ spreadMs: 2000, perSecond: 1000 }, () => 0.5);
    const hurried: string[] = [];
    recovery.wait('broker:1883', (ms) => hurried.push(`a ${ms}`));
    recovery.wait('broker:1883', (ms) => hurried.push(`b ${ms}`));
    recovery.wait('other:1883', (ms) => hurried.push(`c ${ms}`));
    recovery.reached('broker:1883');
    expect(hurried).toEqual(['a 1000', 'b 1000']);
    expect(recovery.waiters('broker:1883')).toBe(0);
    recovery.reached('broker:1883');
    expect(hurried).toHaveLength(2);
    expect(recovery.waiters('other:1883')).toBe(1);
  });

  it('forgets a waiter that withdrew (its retry came, or it stopped)', () => {
    const recovery = new EndpointRecovery({ spreadMs: 2000, perSecond: 1000 });
    const hurried: string[] = [];
    const withdraw = recovery.wait('e', () => hurried.push('a'));
    recovery.wait('e', () => hurried.push('b'));
    withdraw();
    recovery.reached('e');
    expect(hurried).toEqual(['b']);
  });

  it('spreads the crowd over the spread, jittered', () => {
    const recovery = new EndpointRecovery({ spreadMs: 2000, perSecond: 1000 });
    const delays: number[] = [];
    for (let i = 0; i < 1000; i++) recovery.wait('e', (ms) => delays.push(ms));
    recovery.reached('e');
    expect(delays).toHaveLength(1000);
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...delays)).toBeLessThan(2000);
    const perQuarter = [0, 0, 0, 0];
    for (const d of delays) perQuarter[Math.floor(d / 500)]! += 1;
    for (const n of perQuarter) expect(n).toBeGreaterThan(150);
  });

  it('widens the spread so a big crowd arrives at about the connect rate', () => {
    const recovery = new EndpointRecovery({ spreadMs: 2000, perSecond: 1000 }, () => 0.999);
    const delays: number[] = [];
    for (let i = 0; i < 10_000; i++) recovery.wait('e', (ms) => delays.push(ms));
    recovery.reached('e');
    expect(Math.max(...delays)).toBe(11_100); // 10,000 at 90 % of 1,000/s: 11.1 s, not two
  });

  it('a withdrawal after the endpoint was reached leaves new waiters alone', () => {
    const recovery = new EndpointRecovery({ spreadMs: 2000, perSecond: 1000 });
    const withdrawOld = recovery.wait('e', () => {});
    recovery.reached('e');
    recovery.wait('e', () => {});
    withdrawOld();
    expect(recovery.waiters('e')).toBe(1);
  });
});
