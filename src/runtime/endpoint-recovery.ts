/**
 * Backoff per endpoint as well as per integration (SPEC §4). Links waiting to
 * retry register here under their endpoint (connectors/endpoints.ts); when
 * any link reaches that endpoint again, the others are told to retry within a
 * short spread instead of sitting out backoff windows that grew while the
 * broker was down. The spread is jittered and widens with the crowd so that
 * it arrives a little under the connect rate (jitter bunches some seconds
 * above the mean); the ConnectGate still caps the peak.
 *
 * A link is hurried at most once per run of failures (the link keeps that
 * rule): an integration refused for its own reasons (bad credentials) on a
 * healthy broker must not retry every time a neighbour connects.
 */
export interface EndpointRecoveryOptions {
  /** Waiters retry within this of a success on their endpoint (more when there are many, see perSecond). */
  readonly spreadMs: number;
  /** The connect rate (CONNECT_RATE): n waiters are spread over at least n / (0.9 · perSecond) seconds. */
  readonly perSecond: number;
}

/** Brings the waiter's retry forward to `delayMs` from now, unless it is already due sooner. */
export type Hurry = (delayMs: number) => void;

/** A crowd is spread to arrive at this share of the connect rate. */
const RATE_SHARE = 0.9;

export class EndpointRecovery {
  private readonly waiting = new Map<string, Set<Hurry>>();

  constructor(
    private readonly options: EndpointRecoveryOptions,
    private readonly random: () => number = Math.random,
  ) {}

  /** A link waits to retry `endpoint`; returns a function that withdraws it. */
  wait(endpoint: string, hurry: Hurry): () => void {
    let waiters = this.waiting.get(endpoint);
    if (!waiters) this.waiting.set(endpoint, (waiters = new Set()));
    waiters.add(hurry);
    return () => {
      waiters.delete(hurry);
      if (waiters.size === 0 && this.waiting.get(endpoint) === waiters) this.waiting.delete(endpoint);
    };
  }

  /** A link connected to `endpoint`: everyone waiting on it retries soon, spread out. */
  reached(endpoint: string): void {
    const waiters = this.waiting.get(endpoint);
    if (!waiters) return;
    this.waiting.delete(endpoint);
    const spread = Math.max(this.options.spreadMs, Math.ceil((waiters.size * 1000) / (this.options.perSecond * RATE_SHARE)));
    for (const hurry of waiters) hurry(Math.floor(this.random() * spread));
  }

  /** How many links wait on `endpoint`. */
  waiters(endpoint: string): number {
    return this.waiting.get(endpoint)?.size ?? 0;
  }
}
