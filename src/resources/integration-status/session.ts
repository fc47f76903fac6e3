import type { IntegrationSpec } from '../../domain/integration-spec.js';
import type { IntegrationStatus } from '../../domain/integration-status.js';
import type { SseStream } from '../../http/sse.js';
import type { StatusListener, StatusPort } from '../../runtime/status-feed.js';
import { statusOf } from '../integrations/mapping.js';

const EVENT = 'integrationStatus';

/** An integration as the store holds it, as far as its status goes. */
export interface StoredStatus {
  readonly enabled: boolean;
  readonly status: IntegrationStatus;
}

/**
 * One status stream. It listens before the store is read, so nothing said
 * meanwhile is missed; what it hears before the stream opens is folded into
 * the snapshot, which shows the newest status the runtime has (latest()), so
 * each integration appears once and never goes back in time. Statuses read
 * from the store or announced with a new integration are shown as GET shows
 * them (statusOf: with their `state`); the runtime's own carry theirs.
 */
export class StatusSession implements StatusListener {
  private stream: SseStream | undefined;
  private endedWith: string | undefined;
  /** The newest status heard of each integration before the snapshot was sent. */
  private changed: Map<string, IntegrationStatus> | undefined = new Map();
  private readonly removedEarly = new Set<string>();

  constructor(private readonly statuses: StatusPort) {}

  status(integrationId: string, status: IntegrationStatus): void {
    if (this.changed) this.changed.set(integrationId, status);
    else this.send(integrationId, status);
  }

  created(spec: IntegrationSpec, latest: IntegrationStatus | undefined): void {
    this.status(spec.id, statusOf({ enabled: spec.enabled, status: latest ?? spec.status }));
  }

  removed(integrationId: string): void {
    if (this.changed) this.removedEarly.add(integrationId);
  }

  ended(reason: string): void {
    if (this.stream) this.stream.end(reason);
    else this.endedWith = reason;
  }

  /** Sends the snapshot (`stored`: every integration of the application as read from the store), then goes live. */
  open(stream: SseStream, stored: ReadonlyMap<string, StoredStatus>): void {
    this.stream = stream;
    const changed = this.changed ?? new Map<string, IntegrationStatus>();
    this.changed = undefined;
    const gone = (id: string) => this.removedEarly.has(id);
    for (const [id, { enabled, status }] of stored) {
      if (!gone(id)) this.send(id, statusOf({ enabled, status: this.statuses.latest(id) ?? status }));
    }
    // Created while the store was read: what was heard of them is all there is.
    for (const [id, status] of changed) if (!stored.has(id) && !gone(id)) this.send(id, status);
    this.removedEarly.clear();
    if (this.endedWith !== undefined) stream.end(this.endedWith);
  }

  private send(integrationId: string, status: IntegrationStatus): void {
    this.stream?.send(EVENT, JSON.stringify({ integrationId, status }));
  }
}
