/** Counting what a subscriber received, and the figures made from it. */

export class ArrivalCounter {
  count = 0;
  /** performance.now() of the first and the last arrival. */
  first = 0;
  last = 0;

  add(now: number, n = 1): void {
    if (this.count === 0) this.first = now;
    this.count += n;
    this.last = now;
  }

  /** Messages per second from the first arrival to the last. */
  rate(): number {
    const seconds = (this.last - this.first) / 1000;
    return this.count > 1 && seconds > 0 ? (this.count - 1) / seconds : 0;
  }
}

/**
 * Resolves once `expected` messages arrived, or once nothing arrived for
 * `idleMs` after `started()` turned true (the publisher is done): QoS 0
 * allows loss, and a lost message must end the wait, not hang it.
 */
export async function waitForArrivals(counter: ArrivalCounter, expected: number, started: () => boolean, idleMs = 5000): Promise<void> {
  let seen = counter.count;
  let quietSince = performance.now();
  while (counter.count < expected) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    if (counter.count !== seen || !started()) {
      seen = counter.count;
      quietSince = performance.now();
    } else if (performance.now() - quietSince >= idleMs) {
      return;
    }
  }
}

/** The p-th percentile (0–100) of the values, by nearest rank. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}
