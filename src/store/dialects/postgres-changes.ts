import pg from 'pg';
import type { ChangeFeed, RowChange } from '../store.js';

const RETRY_MIN_MS = 500;
const RETRY_MAX_MS = 30_000;

/**
 * Listens on `tributary_changes:<schema>` (see migration 0002) with a
 * dedicated connection. While it is not listening, nothing can be trusted to
 * be fresh: listeners are told to reset (drop what they cache) when it goes
 * down and again when it is back, and `live` says whether it is listening.
 */
export class PostgresChangeFeed implements ChangeFeed {
  private readonly listeners = new Set<{ change: (change: RowChange) => void; reset: () => void }>();
  private client: pg.Client | undefined;
  private retryMs = RETRY_MIN_MS;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  live = false;

  constructor(
    private readonly connectionString: string,
    private readonly schema: string,
    private readonly onError: (message: string) => void,
  ) {}

  subscribe(change: (change: RowChange) => void, reset: () => void): () => void {
    const listener = { change, reset };
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async start(): Promise<void> {
    await this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    const client = this.client;
    this.client = undefined;
    this.live = false;
    await client?.end().catch(() => {});
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.connectionString });
    client.on('notification', (message) => {
      const payload = message.payload ?? '';
      const colon = payload.indexOf(':');
      if (colon < 0) return;
      const change = { table: payload.slice(0, colon), id: payload.slice(colon + 1) };
      for (const listener of this.listeners) listener.change(change);
    });
    const lost = (reason: string) => {
      if (this.client !== client) return;
      this.client = undefined;
      this.down(reason);
    };
    client.on('error', (err) => lost(err.message));
    client.on('end', () => lost('connection ended'));
    try {
      await client.connect();
      await client.query(`LISTEN "tributary_changes:${this.schema}"`);
    } catch (err) {
      await client.end().catch(() => {});
      this.down(err instanceof Error ? err.message : String(err));
      return;
    }
    if (this.stopped) {
      await client.end().catch(() => {});
      return;
    }
    this.client = client;
    this.live = true;
    this.retryMs = RETRY_MIN_MS;
    // Whatever changed while we were not listening is unknown.
    this.reset();
  }

  private down(reason: string): void {
    const wasLive = this.live;
    this.live = false;
    if (wasLive) this.reset();
    if (this.stopped) return;
    this.onError(`change notifications lost (${reason}); caches bypassed until they are back`);
    this.timer = setTimeout(() => void this.connect(), this.retryMs);
    this.timer.unref();
    this.retryMs = Math.min(RETRY_MAX_MS, this.retryMs * 2);
  }

  private reset(): void {
    for (const listener of this.listeners) listener.reset();
  }
}
