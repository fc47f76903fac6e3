export interface MicroCacheOptions {
  /** How long an entry is served; bounds how stale it can be when a change happens elsewhere (another node, the runtime). */
  readonly ttlMs: number;
  /** Total size of the cached bodies, in bytes. */
  readonly maxSize: number;
  /** Scopes whose changes are remembered at most; beyond, all are forgotten at once (10,000 by default). */
  readonly maxScopes?: number;
  readonly now?: () => number;
}

interface Entry {
  readonly body: Buffer;
  readonly version: number;
  readonly at: number;
}

/**
 * Serialized responses kept for a fraction of a second ("microcaching"), per
 * scope (an application). Changes made through this server bump the scope's
 * version and retire its entries at once; anything else (statuses written by
 * the runtime, other nodes) shows within the TTL. An entry built while a
 * change happened is not stored, so the cache never outlives a change it saw.
 */
export class MicroCache {
  private readonly entries = new Map<string, Entry>();
  /** The version of each scope changed since the map was last emptied; from one counter, so a version is never reused. */
  private readonly versions = new Map<string, number>();
  /** The version of every scope not in `versions`: raised each time the map is emptied. */
  private floor = 0;
  private counter = 0;
  private size = 0;
  private readonly now: () => number;

  constructor(private readonly options: MicroCacheOptions) {
    this.now = options.now ?? Date.now;
  }

  version(scope: string): number {
    return this.versions.get(scope) ?? this.floor;
  }

  get(scope: string, key: string): Buffer | undefined {
    const entry = this.entries.get(`${scope}\u0000${key}`);
    if (!entry) return undefined;
    if (entry.version !== this.version(scope) || this.now() - entry.at >= this.options.ttlMs) {
      this.remove(`${scope}\u0000${key}`, entry);
      return undefined;
    }
    return entry.body;
  }

  /** Stores a body built from data read at `version` (taken before reading); kept as bytes, ready to send. */
  set(scope: string, key: string, version: number, body: Buffer): void {
    if (version !== this.version(scope) || body.length > this.options.maxSize / 4) return;
    const id = `${scope}\u0000${key}`;
    const previous = this.entries.get(id);
    if (previous) this.remove(id, previous);
    this.entries.set(id, { body, version, at: this.now() });
    this.size += body.length;
    for (const [oldest, entry] of this.entries) {
      if (this.size <= this.options.maxSize) break;
      this.remove(oldest, entry);
    }
  }

  invalidate(scope: string): void {
    if (this.versions.size >= (this.options.maxScopes ?? 10_000)) {
      // Forgetting which scopes changed is safe only if every scope counts as changed now:
      // raising the floor retires every entry and every read in flight (a miss, never a stale answer).
      this.versions.clear();
      this.floor = ++this.counter;
    }
    this.versions.set(scope, ++this.counter);
  }

  private remove(id: string, entry: Entry): void {
    this.entries.delete(id);
    this.size -= entry.body.length;
  }
}
