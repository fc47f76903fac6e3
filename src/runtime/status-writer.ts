import type { Logger } from 'pino';
import { newId } from '../lib/ids.js';
import type { IntegrationEventRow, IntegrationStatus, Store } from '../store/store.js';
import type { Clock, TimerHandle } from './clock.js';

const MAX_PENDING_EVENTS = 50_000;
/**
 * Rows written per slice. A broker dropping ten thousand links at once would
 * otherwise be one write long enough to stall the event loop (SQLite runs on
 * it); slices leave the loop free for requests in between.
 */
const SLICE = 1000;
/** stop() tries the last write this many times (the store may be failing over) before it reports what is lost. */
const STOP_ATTEMPTS = 3;
const STOP_RETRY_MS = 500;

export interface StatusWriterOptions {
  /** How often pending changes are written; GET reflects a change within this. */
  readonly flushMs: number;
  readonly eventsPerIntegration: number;
  /** Told of every status as it is set, before it is written (the status feed the streams follow). */
  readonly onStatus?: (integrationId: string, status: IntegrationStatus) => void;
  /** In a cluster, this node's id: statuses say it holds them (`node`), and are written only while it does. */
  readonly holder?: string;
}

export interface ConnectionEvent {
  readonly integrationId: string;
  readonly applicationId: string;
  readonly type: 'connected' | 'connectFailed' | 'disconnected' | 'subscribeFailed' | 'disabled' | 'stopped';
  readonly message: string | null;
}

/**
 * Statuses and connection events flow connector → supervisor → here → store.
 * Changes are coalesced per integration and written in one batch per tick, so
 * ten thousand links reconnecting cost a handful of statements, not ten thousand.
 * A failed write keeps its changes for the next tick.
 */
export class StatusWriter {
  private statuses = new Map<string, IntegrationStatus>();
  private events: IntegrationEventRow[] = [];
  private timer: TimerHandle | undefined;
  /** Flushes run one after the other: two writes in flight could commit an integration's older status last. */
  private flushes: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly options: StatusWriterOptions,
  ) {}

  setStatus(integrationId: string, given: IntegrationStatus): void {
    const status = this.options.holder === undefined ? given : { ...given, node: this.options.holder };
    this.statuses.set(integrationId, status);
    this.options.onStatus?.(integrationId, status);
    this.schedule();
  }

  addEvent(event: ConnectionEvent): void {
    const ts = this.clock.now();
    this.events.push({ id: newId(ts), ts, ...event });
    // While the store is down events pile up; keep the newest rather than grow without bound.
    if (this.events.length > MAX_PENDING_EVENTS) this.events.splice(0, this.events.length - MAX_PENDING_EVENTS);
    this.schedule();
  }

  /** The integration is gone: nothing more is written for it. */
  forget(integrationId: string): void {
    this.statuses.delete(integrationId);
    this.events = this.events.filter((e) => e.integrationId !== integrationId);
  }

  /** Writes everything pending now, a slice at a time, after any flush in progress. */
  flush(): Promise<void> {
    const run = this.flushes.then(() => this.drain());
    this.flushes = run.catch(() => {});
    return run;
  }

  private async drain(): Promise<void> {
    while (this.statuses.size > 0 || this.events.length > 0) {
      const statuses = new Map<string, IntegrationStatus>();
      for (const [id, status] of this.statuses) {
        if (statuses.size >= SLICE) break;
        statuses.set(id, status);
      }
      for (const id of statuses.keys()) this.statuses.delete(id);
      const events = this.events.splice(0, SLICE);
      if (!(await this.write(statuses, events))) return;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  /**
   * Writes what is pending, retrying a failed write a few times; what still
   * cannot be written is logged as lost (an error, not a rejection: the
   * process is stopping either way, and the store must still be closed).
   */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    for (let attempt = 1; ; attempt++) {
      await this.flush();
      if (this.statuses.size === 0 && this.events.length === 0) return;
      if (attempt === STOP_ATTEMPTS) break;
      await new Promise<void>((resolve) => this.clock.setTimeout(resolve, STOP_RETRY_MS));
    }
    this.logger.error({ statuses: this.statuses.size, events: this.events.length }, 'could not write the last integration statuses before stopping; they are lost');
  }

  private schedule(): void {
    if (this.timer || this.stopped) return;
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.flush().catch(() => {});
    }, this.options.flushMs);
    this.timer.unref?.();
  }

  /** Writes one slice; false when it failed (its rows are back in the queue for the next tick). */
  private async write(statuses: Map<string, IntegrationStatus>, events: IntegrationEventRow[]): Promise<boolean> {
    try {
      await this.store.integrations.writeStatuses(statuses, this.options.holder);
      if (events.length > 0) {
        await this.store.integrationEvents.insertMany(events);
        await this.store.integrationEvents.trim([...new Set(events.map((e) => e.integrationId))], this.options.eventsPerIntegration);
      }
      return true;
    } catch (err) {
      this.logger.warn({ err }, 'could not write integration statuses; will retry');
      // Put them back unless newer values arrived meanwhile.
      for (const [id, status] of statuses) if (!this.statuses.has(id)) this.statuses.set(id, status);
      this.events = [...events, ...this.events];
      this.schedule();
      return false;
    }
  }
}
