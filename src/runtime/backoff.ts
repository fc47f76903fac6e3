export interface BackoffPolicy {
  /** Ceiling of the first delay. */
  readonly baseMs: number;
  /** No delay exceeds this. */
  readonly maxMs: number;
}

/**
 * Exponential backoff with full jitter: the n-th delay is uniform in
 * [0, min(max, base·2ⁿ)]. Full jitter spreads a crowd that lost its broker at
 * the same instant over the whole window, so they do not come back in step.
 */
export class Backoff {
  private attempt = 0;

  constructor(
    private readonly policy: BackoffPolicy,
    private readonly random: () => number = Math.random,
  ) {}

  /** The delay before the next attempt; each call widens the window. */
  next(): number {
    const ceiling = Math.min(this.policy.maxMs, this.policy.baseMs * 2 ** Math.min(this.attempt, 52));
    this.attempt += 1;
    return Math.floor(this.random() * ceiling);
  }

  /** Back to the first window, once a connection has proven stable. */
  reset(): void {
    this.attempt = 0;
  }
}
