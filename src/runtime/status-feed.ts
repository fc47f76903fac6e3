import type { IntegrationSpec } from '../domain/integration-spec.js';
import type { IntegrationStatus } from '../domain/integration-status.js';
import type { DomainEvents } from '../events.js';
import { Lru } from '../lib/lru.js';

/** Deleted integrations remembered, so a status of one still on its way (another node's, a link closing) is not shown. */
const GONE_REMEMBERED = 10_000;

/** Someone following the statuses of one application's integrations (a status stream). */
export interface StatusListener {
  /** The integration's status is now `status` (a new integration appears this way too). */
  status(integrationId: string, status: IntegrationStatus): void;
  /** The integration was just created; `latest` is what the runtime already said of it, if anything. */
  created?(spec: IntegrationSpec, latest: IntegrationStatus | undefined): void;
  /** The integration was deleted: nothing more comes for it. */
  removed?(integrationId: string): void;
  /** Nothing more will come: the application was deleted, or the server is stopping. */
  ended(reason: string): void;
}

/** What the status routes may do. */
export interface StatusPort {
  /** The newest status this node has seen for the integration; undefined when it has seen none since start (the stored one holds). */
  latest(integrationId: string): IntegrationStatus | undefined;
  /** Follows the application's integrations: those created later, and those named to remember(). */
  subscribe(applicationId: string, listener: StatusListener): () => void;
  /**
   * These integrations (read from the store) belong to the application, so
   * their changes reach its listeners even when this node has not heard of
   * them since start.
   */
  remember(applicationId: string, integrationIds: Iterable<string>): void;
}

/** A status change as the store's change feed will carry it from the other nodes of a cluster. */
export interface RemoteStatusChange {
  readonly integrationId: string;
  readonly applicationId: string;
  readonly status: IntegrationStatus;
}

/**
 * Status changes pushed to whoever follows an application, as they happen:
 * the StatusWriter hands every status it is given to publish(), the
 * integration service's events say which application an integration belongs
 * to and when it comes and goes. Nothing polls. Holds one status per
 * integration that changed since start, and the integration → application
 * map of those anyone may ask about.
 */
export class StatusFeed implements StatusPort {
  private readonly latestById = new Map<string, IntegrationStatus>();
  private readonly owners = new Map<string, string>();
  private readonly listeners = new Map<string, Set<StatusListener>>();
  private readonly gone = new Lru<string, true>(GONE_REMEMBERED);
  private readonly off: (() => void)[] = [];

  constructor(events: DomainEvents) {
    const on = <K extends 'integrationCreated' | 'integrationUpdated' | 'integrationDeleted' | 'applicationDeleted'>(name: K, handler: Parameters<typeof events.on<K>>[1]) => {
      events.on(name, handler);
      this.off.push(() => events.off(name, handler));
    };
    on('integrationCreated', (spec) => {
      this.owners.set(spec.id, spec.applicationId);
      const latest = this.latestById.get(spec.id);
      const set = this.listeners.get(spec.applicationId);
      for (const listener of set ?? []) {
        if (listener.created) listener.created(spec, latest);
        else listener.status(spec.id, latest ?? spec.status);
      }
    });
    on('integrationUpdated', (_before, after) => this.owners.set(after.id, after.applicationId));
    on('integrationDeleted', ({ id, applicationId }) => {
      this.forget(id);
      this.gone.set(id, true);
      const set = this.listeners.get(applicationId);
      if (set) for (const listener of set) listener.removed?.(id);
    });
    on('applicationDeleted', ({ id, integrationIds }) => {
      for (const integrationId of integrationIds) {
        this.forget(integrationId);
        this.gone.set(integrationId, true);
      }
      this.end(id, 'The application was deleted');
    });
  }

  /** A status of this node's runtime (called by the StatusWriter). */
  publish(integrationId: string, status: IntegrationStatus): void {
    if (this.gone.get(integrationId)) return;
    this.latestById.set(integrationId, status);
    const applicationId = this.owners.get(integrationId);
    if (applicationId !== undefined) this.notify(applicationId, integrationId, status);
  }

  /** A status written by another node (SPEC §8), read after the store's change feed announced it. */
  publishRemote(change: RemoteStatusChange): void {
    if (this.gone.get(change.integrationId)) return;
    this.owners.set(change.integrationId, change.applicationId);
    this.publish(change.integrationId, change.status);
  }

  /** Whether anyone here follows the application's statuses. */
  follows(applicationId: string): boolean {
    return this.listeners.has(applicationId);
  }

  latest(integrationId: string): IntegrationStatus | undefined {
    return this.latestById.get(integrationId);
  }

  remember(applicationId: string, integrationIds: Iterable<string>): void {
    for (const id of integrationIds) this.owners.set(id, applicationId);
  }

  subscribe(applicationId: string, listener: StatusListener): () => void {
    let set = this.listeners.get(applicationId);
    if (!set) this.listeners.set(applicationId, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.listeners.get(applicationId) === set) this.listeners.delete(applicationId);
    };
  }

  /** Ends every listener (the runtime is stopping) and stops following the service's events. */
  close(reason: string): void {
    for (const off of this.off.splice(0)) off();
    for (const applicationId of [...this.listeners.keys()]) this.end(applicationId, reason);
  }

  private forget(integrationId: string): void {
    this.owners.delete(integrationId);
    this.latestById.delete(integrationId);
  }

  private notify(applicationId: string, integrationId: string, status: IntegrationStatus): void {
    const set = this.listeners.get(applicationId);
    if (set) for (const listener of set) listener.status(integrationId, status);
  }

  private end(applicationId: string, reason: string): void {
    const set = this.listeners.get(applicationId);
    if (!set) return;
    this.listeners.delete(applicationId);
    for (const listener of set) listener.ended(reason);
  }
}
