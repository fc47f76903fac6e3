import pg from 'pg';
import type { ChangeFeed, RowChange } from '../store.js';
import { connectionConfig, destroyClient, endClient } from './postgres.js';

const RETRY_MIN_MS = 250;
/** Kept short: the feed must be back within seconds of the database (caches are bypassed until then). */
const RETRY_MAX_MS = 2000;
/** A LISTEN connection has nothing to say while nothing changes; this often it proves the database still answers. */
const HEARTBEAT_MS = 1000;

export interface ChangeFeedOptions {
  /** DB_TIMEOUT_MS: bounds connecting and every query, the heartbeat's included. */
  readonly timeoutMs: number;
  readonly heartbeatMs?: number;
}

/**
 * Listens on `tributary_changes:<schema>` (see migration 0002) with a
 * dedicated connection. While it is not listening, nothing can be trusted to
 * be fresh: listeners are told to reset (drop what they cache) when it goes
 * down and again when it is back, and `live` says whether it is listening.
 * A connection that breaks, or that stops answering the heartbeat (a silent
 * database says nothing either way), is dropped and a new one made.
 */
export class PostgresChangeFeed implements ChangeFeed {
  private readonly listeners = new Set<{ change: (change: RowChange) => void; reset: () => void }>();
  private client: pg.Client | undefined;
  private retryMs = RETRY_MIN_MS;
  private timer: NodeJS.Timeout | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private stopped = false;
  live = false;

  constructor(
    private readonly connectionString: string,
    private readonly schema: string,
    private readonly onError: (message: string) => void,
    private readonly options: ChangeFeedOptions,
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
    clearTimeout(this.timer);
    clearInterval(this.heartbeat);
    const client = this.client;
    this.client = undefined;
    this.live = false;
    if (client) await endClient(client, this.options.timeoutMs);
  }

  private async connect(): Promise<void> {
    this.timer = undefined;
    const client = new pg.Client(connectionConfig(this.connectionString, this.options.timeoutMs));
    client.on('notification', (message) => {
      const payload = message.payload ?? '';
      const first = payload.indexOf(':');
      if (first < 0) return;
      const second = payload.indexOf(':', first + 1);
      const table = payload.slice(0, first);
      const change: RowChange =
        second < 0 ? { table, id: payload.slice(first + 1) } : { table, id: payload.slice(first + 1, second), detail: payload.slice(second + 1) };
      for (const listener of this.listeners) listener.change(change);
    });
    // Listening from the start: an 'error' event nobody listens to ends the process.
    client.on('error', (err) => this.lost(client, err.message));
    client.on('end', () => this.lost(client, 'connection ended'));
    try {
      await client.connect();
      await client.query(`LISTEN "tributary_changes:${this.schema}"`);
    } catch (err) {
      destroyClient(client);
      this.down(err instanceof Error ? err.message : String(err));
      return;
    }
    if (this.stopped) {
      await endClient(client, this.options.timeoutMs);
      return;
    }
    this.client = client;
    this.live = true;
    this.retryMs = RETRY_MIN_MS;
    // pg takes query_timeout per query too (its types do not say so): the heartbeat gets no margin.
    const ping = { text: 'select 1', query_timeout: this.options.timeoutMs };
    this.heartbeat = setInterval(() => {
      client.query(ping).catch((err: unknown) => this.lost(client, `no answer to the heartbeat (${err instanceof Error ? err.message : String(err)})`));
    }, this.options.heartbeatMs ?? HEARTBEAT_MS);
    this.heartbeat.unref();
    // Whatever changed while we were not listening is unknown.
    this.reset();
  }

  /** The connection `client` is no good any more: drop it and start over, once. */
  private lost(client: pg.Client, reason: string): void {
    if (this.client !== client) return;
    this.client = undefined;
    clearInterval(this.heartbeat);
    destroyClient(client);
    this.down(reason);
  }

  private down(reason: string): void {
    const wasLive = this.live;
    this.live = false;
    if (wasLive) this.reset();
    if (this.stopped || this.timer) return;
    this.onError(`change notifications lost (${reason}); caches bypassed until they are back`);
    this.timer = setTimeout(() => void this.connect(), this.retryMs);
    this.timer.unref();
    this.retryMs = Math.min(RETRY_MAX_MS, this.retryMs * 2);
  }

  private reset(): void {
    for (const listener of this.listeners) listener.reset();
  }
}
