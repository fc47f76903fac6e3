import type { Logger } from 'pino';
import type { EventEmitter } from 'node:events';
import type { DomainEventMap, DomainEvents } from '../events.js';
import type { IntegrationSpec } from '../domain/integration-spec.js';
import { INTEGRATION_TYPES, type IntegrationType } from '../domain/integration-types.js';
import type { Clock } from './clock.js';
import type { ConnectGate } from './connect-gate.js';
import { NotConnectedError, type ConnectorFactory, type OutboundMessage } from './connector.js';
import { EndpointRecovery } from './endpoint-recovery.js';
import { Link, type LinkOptions } from './link.js';
import { notConnectedYet } from './probe.js';
import type { MessageBus } from './message-bus.js';
import type { MessageLog } from './message-log.js';
import { NO_OBSERVER, observed, type RuntimeObserver } from './observer.js';
import type { StatusWriter } from './status-writer.js';

export interface SupervisorDeps {
  readonly events: DomainEvents;
  /** Every enabled integration of the given types, as stored (see IntegrationService.enabledSpecs). */
  readonly enabledSpecs: (types: readonly IntegrationType[]) => AsyncIterable<IntegrationSpec>;
  readonly factories: Partial<Record<IntegrationType, ConnectorFactory>>;
  readonly bus: MessageBus;
  /** Where received messages go: retained, then to the bus, then acknowledged. */
  readonly log: Pick<MessageLog, 'append' | 'forget'>;
  readonly writer: StatusWriter;
  readonly gate: ConnectGate;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly linkOptions: LinkOptions;
  readonly random?: () => number;
  /** Told of every link's events, messages and publishes (the metrics). */
  readonly observer?: RuntimeObserver;
  /**
   * In a cluster: link only what the cluster member hands over (adopt), and
   * follow the store's change feed through it (refresh) rather than this
   * process's events, so every node converges on the same changes alike.
   */
  readonly clustered?: boolean;
}

const DISABLED = 'disabled';
/** Links waiting on an endpoint retry within this once a neighbour reached it (longer for big crowds: see EndpointRecovery). */
const RECOVERY_SPREAD_MS = 2000;

/**
 * Keeps exactly one live link per enabled integration and none for the rest:
 * converges on the store at start, then follows the integration service's
 * change events. Statuses flow to the StatusWriter, messages to the bus.
 */
export class Supervisor {
  private readonly links = new Map<string, Link>();
  private readonly deletedDuringStart = new Set<string>();
  private starting = false;
  private stopped = false;
  private readonly unsubscribe: (() => void)[] = [];
  private readonly recovery: EndpointRecovery;

  constructor(private readonly deps: SupervisorDeps) {
    this.recovery = new EndpointRecovery({ spreadMs: RECOVERY_SPREAD_MS, perSecond: deps.gate.perSecond }, deps.random);
  }

  async start(): Promise<void> {
    if (this.deps.clustered) {
      this.subscribe('applicationDeleted', ({ id }) => this.deps.bus.closeApplication(id, 'The application was deleted'));
      return;
    }
    this.subscribe('integrationCreated', (spec) => this.onCreated(spec));
    this.subscribe('integrationUpdated', (before, after) => this.onUpdated(before, after));
    this.subscribe('integrationDeleted', ({ id }) => this.onDeleted(id));
    this.subscribe('applicationDeleted', ({ id, integrationIds }) => {
      for (const integrationId of integrationIds) this.onDeleted(integrationId);
      this.deps.bus.closeApplication(id, 'The application was deleted');
    });

    this.starting = true;
    let count = 0;
    try {
      for await (const spec of this.deps.enabledSpecs(INTEGRATION_TYPES)) {
        if (this.stopped) return;
        if (this.deletedDuringStart.has(spec.id) || this.links.has(spec.id)) continue;
        this.ensure(spec);
        count += 1;
      }
    } finally {
      this.starting = false;
      this.deletedDuringStart.clear();
    }
    this.deps.logger.info({ integrations: count, linked: this.links.size }, 'runtime started');
  }

  /** Closes every link, recording why, and writes the last statuses. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const off of this.unsubscribe.splice(0)) off();
    const links = [...this.links.values()];
    this.links.clear();
    await Promise.all(links.map((link) => link.stop({ error: 'Tributary stopped', event: 'stopped' })));
    this.deps.bus.closeAll('The server is shutting down');
    this.deps.gate.stop();
    await this.deps.writer.stop();
  }

  /** Cluster: this node now holds these integrations (see ClusterMember); links those that are enabled and not linked yet. */
  adopt(specs: Iterable<IntegrationSpec>): void {
    for (const spec of specs) {
      if (this.stopped) return;
      if (spec.enabled && !this.links.has(spec.id)) this.ensure(spec);
    }
  }

  /** Cluster: an integration changed in the store (undefined: it is gone); a link follows it, a deleted one's streams end. */
  refresh(id: string, spec: IntegrationSpec | undefined): void {
    if (this.stopped) return;
    if (!spec) return this.onDeleted(id);
    const link = this.links.get(id);
    if (link) this.onUpdated(link.current, spec);
  }

  /** Cluster: closes these links (the integrations are handed over, or the node lost its lease), recording why. */
  async release(ids: Iterable<string>, reason: { error: string; event: 'stopped' }): Promise<void> {
    const stopping: Promise<void>[] = [];
    for (const id of ids) {
      const link = this.links.get(id);
      if (!link) continue;
      this.links.delete(id);
      stopping.push(link.stop(reason));
      this.deps.observer?.forget?.(id);
    }
    await Promise.all(stopping);
  }

  /** The integrations linked here. */
  linked(): IterableIterator<string> {
    return this.links.keys();
  }

  holds(integrationId: string): boolean {
    return this.links.has(integrationId);
  }

  publish(integrationId: string, message: OutboundMessage): Promise<void> {
    const link = this.links.get(integrationId);
    if (!link) return Promise.reject(new NotConnectedError());
    const observer = this.deps.observer?.find(integrationId);
    return observer ? link.publish(message).then(() => observer.published()) : link.publish(message);
  }

  /** Messages arrive faster than the store keeps them (true), or it caught up (false): every link stops or goes on reading. */
  throttle(congested: boolean): void {
    this.deps.logger.info({ congested }, congested ? 'the store is behind: pausing the sources' : 'the store caught up: resuming the sources');
    for (const link of this.links.values()) {
      if (congested) link.pause();
      else link.resume();
    }
  }

  isConnected(integrationId: string): boolean {
    return this.links.get(integrationId)?.connected ?? false;
  }

  get linkCount(): number {
    return this.links.size;
  }

  get connectedCount(): number {
    let n = 0;
    for (const link of this.links.values()) if (link.connected) n += 1;
    return n;
  }

  private subscribe<K extends keyof DomainEventMap>(name: K, handler: (...args: DomainEventMap[K]) => void): void {
    const events = this.deps.events as EventEmitter<DomainEventMap>;
    events.on(name, handler as never);
    this.unsubscribe.push(() => events.off(name, handler as never));
  }

  private onCreated(spec: IntegrationSpec): void {
    if (this.stopped) return;
    // One created disabled has never been connected: its status stays empty.
    if (spec.enabled) this.ensure(spec);
  }

  private onUpdated(before: IntegrationSpec, after: IntegrationSpec): void {
    if (this.stopped) return;
    const link = this.links.get(after.id);
    if (!after.enabled) {
      if (link) {
        this.links.delete(after.id);
        void link.stop({ error: DISABLED, event: 'disabled' });
      } else if (before.enabled) {
        this.recordDisabled(after);
      }
      return;
    }
    if (link) link.update(after);
    else this.ensure(after);
  }

  private onDeleted(id: string): void {
    if (this.starting) this.deletedDuringStart.add(id);
    const link = this.links.get(id);
    this.links.delete(id);
    if (link) void link.stop();
    this.deps.writer.forget(id);
    this.deps.log.forget(id);
    this.deps.observer?.forget?.(id);
    this.deps.bus.closeIntegration(id, 'The integration was deleted');
  }

  private ensure(spec: IntegrationSpec): void {
    const factory = this.deps.factories[spec.integrationType];
    if (!factory) {
      const error = notConnectedYet(spec.integrationType);
      if (spec.status.disconnectInfo?.error !== error || spec.status.state !== 'unsupported') {
        this.deps.writer.setStatus(spec.id, { disconnectInfo: { ts: this.deps.clock.now(), error }, state: 'unsupported' });
      }
      return;
    }
    const link = new Link(spec, spec.status, {
      clock: this.deps.clock,
      gate: this.deps.gate,
      factory,
      reporter: observed((this.deps.observer ?? NO_OBSERVER).link(spec), {
        status: (id, status) => this.deps.writer.setStatus(id, status),
        event: (event) => this.deps.writer.addEvent(event),
        message: (message) => this.deps.log.append(message),
      }),
      recovery: this.recovery,
      logger: this.deps.logger,
      options: this.deps.linkOptions,
      ...(this.deps.random ? { random: this.deps.random } : {}),
    });
    this.links.set(spec.id, link);
    link.start();
  }

  private recordDisabled(spec: IntegrationSpec): void {
    const { nextAttempt: _dropped, ...status } = spec.status;
    this.deps.writer.setStatus(spec.id, { ...status, disconnectInfo: { ts: this.deps.clock.now(), error: DISABLED }, state: 'disabled' });
    this.deps.writer.addEvent({ integrationId: spec.id, applicationId: spec.applicationId, type: 'disabled', message: DISABLED });
  }
}
