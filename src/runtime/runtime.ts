import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import type { DomainEvents } from '../events.js';
import type { IntegrationService } from '../resources/integrations/service.js';
import type { IntegrationSpec } from '../domain/integration-spec.js';
import type { IntegrationType } from '../domain/integration-types.js';
import type { ClusterNodeRow, Store } from '../store/store.js';
import { ClusterMember } from './cluster/member.js';
import { LogTail } from './cluster/log-tail.js';
import { newNodeId } from './cluster/node-id.js';
import { systemClock, type Clock } from './clock.js';
import { ConnectGate } from './connect-gate.js';
import type { ConnectorFactory, ConnectorOptions } from './connector.js';
import { MessageBus } from './message-bus.js';
import type { MessagePort } from './message-feed.js';
import { MessageLog } from './message-log.js';
import { storeCheckpoints } from './checkpoints.js';
import { MemoryCheckpointStore, type EventHubConnectorOptions } from './connectors/azure-event-hub/checkpoints.js';
import type { GooglePubSubOptions } from './connectors/google-pub-sub/config.js';
import type { RuntimeObserver } from './observer.js';
import { probeConnection, type ProbeResult } from './probe.js';
import { StatusFeed } from './status-feed.js';
import { StatusWriter } from './status-writer.js';
import { Supervisor } from './supervisor.js';
import { outboundPolicy } from './connectors/outbound.js';

export interface RuntimeDeps {
  readonly config: Config;
  readonly store: Store;
  /** NODE_ID, or the one made up at start (the store signs its commits with it). */
  readonly nodeId?: string;
  readonly events: DomainEvents;
  readonly integrations: IntegrationService;
  readonly factories: Partial<Record<IntegrationType, ConnectorFactory>>;
  readonly logger: Logger;
  readonly clock?: Clock;
  readonly random?: () => number;
  /** Told of every link's events, messages and publishes (the metrics). */
  readonly observer?: RuntimeObserver;
  /** What a type leaves at the service that goes with a deleted integration (Pub/Sub subscriptions). */
  readonly cleanups?: Partial<Record<IntegrationType, ConnectorCleanup>>;
}

/** Removes what an integration created at its service; called once the integration is deleted. */
export type ConnectorCleanup = (spec: IntegrationSpec, options: ConnectorOptions) => Promise<void>;

/** How often statuses reach the store; GET shows a change within this. */
const STATUS_FLUSH_MS = 200;
const KEEPALIVE_REPORT_MS = 5_000;

/** The live side of Tributary: links, their statuses, the message log and the bus the streams read. */
export class Runtime {
  readonly bus = new MessageBus();
  readonly supervisor: Supervisor;
  readonly log: MessageLog;
  /** What the message routes may do (see MessagePort). */
  readonly messages: MessagePort;
  /** Every status change as it happens, by application (the status streams follow it). */
  readonly statuses: StatusFeed;
  /** One connection attempt with a config that is not stored (POST …/integrations/probe), with the links' connector options. */
  readonly probe: (spec: IntegrationSpec) => Promise<ProbeResult>;
  /** NODE_ID, or one made up at start. */
  readonly nodeId: string;
  /** Present on PostgreSQL: this process is a node of a cluster (SPEC §8). */
  private readonly member: ClusterMember | undefined;
  private readonly tail: LogTail | undefined;
  private readonly store: Store;
  private running = false;
  private url = '';
  private startedAt = new Date();

  constructor(deps: RuntimeDeps) {
    const { config } = deps;
    const clock = deps.clock ?? systemClock;
    const logger = deps.logger.child({ module: 'runtime' });
    const connectorOptions: EventHubConnectorOptions & GooglePubSubOptions = {
      connectTimeoutMs: config.connectTimeout,
      keepaliveSeconds: config.keepalive,
      particleApiUrl: config.particleApiUrl,
      outbound: outboundPolicy(config.outboundDeny, config.outboundAllow),
      checkpoints: storeCheckpoints(deps.store),
    };
    // A probe's Event Hubs start positions are its own, never an integration's.
    const probeOptions: EventHubConnectorOptions = { ...connectorOptions, probe: true, checkpoints: new MemoryCheckpointStore() };
    this.probe = (spec) => probeConnection(spec, deps.factories, probeOptions);
    this.store = deps.store;
    this.nodeId = deps.nodeId ?? config.nodeId ?? newNodeId();
    const cluster = deps.store.cluster && deps.store.changes ? { repository: deps.store.cluster, changes: deps.store.changes } : undefined;
    const retaining = config.messageRetentionCount > 0 && config.messageRetentionSeconds > 0;
    // In a cluster the streams read live messages from the log, whichever node received them (see cluster/log-tail.ts).
    const tail = cluster && retaining ? new LogTail(deps.store.messages, this.bus, logger) : undefined;
    this.tail = tail;
    const statuses = new StatusFeed(deps.events);
    this.statuses = statuses;
    const writer = new StatusWriter(deps.store, clock, logger, {
      flushMs: STATUS_FLUSH_MS,
      eventsPerIntegration: config.eventsPerIntegration,
      onStatus: (id, status) => statuses.publish(id, status),
      ...(cluster ? { holder: this.nodeId } : {}),
    });
    const log = new MessageLog(deps.store, tail ?? this.bus, { count: config.messageRetentionCount, seconds: config.messageRetentionSeconds }, clock, logger);
    this.log = log;
    this.supervisor = new Supervisor({
      events: deps.events,
      enabledSpecs: (types) => deps.integrations.enabledSpecs(types),
      factories: deps.factories,
      bus: this.bus,
      log,
      writer,
      gate: new ConnectGate(config.connectRate, clock),
      clock,
      logger,
      linkOptions: {
        backoff: { baseMs: config.reconnectBase, maxMs: config.reconnectMax },
        resetAfterMs: config.reconnectReset,
        keepAliveReportMs: KEEPALIVE_REPORT_MS,
        connector: connectorOptions,
      },
      ...(deps.random ? { random: deps.random } : {}),
      ...(deps.observer ? { observer: deps.observer } : {}),
      clustered: cluster !== undefined,
    });
    this.member = cluster
      ? new ClusterMember({
          id: this.nodeId,
          leaseSeconds: config.leaseSeconds,
          cluster: cluster.repository,
          integrations: deps.store.integrations,
          specOf: (row) => deps.integrations.specOf(row),
          changes: cluster.changes,
          supervisor: this.supervisor,
          writer,
          statuses,
          bus: this.bus,
          tail,
          logger: logger.child({ module: 'cluster' }),
        })
      : undefined;
    log.onCongestion((congested) => this.supervisor.throttle(congested));
    deps.events.on('integrationsRemoved', (specs) => {
      for (const spec of specs) {
        deps.cleanups?.[spec.integrationType]?.(spec, connectorOptions).catch((err: unknown) => {
          logger.warn({ err, integrationId: spec.id }, 'could not remove what the integration left at its service');
        });
      }
    });
    const { store, bus, supervisor, member } = { store: deps.store, bus: this.bus, supervisor: this.supervisor, member: this.member };
    this.messages = {
      retaining: log.retaining,
      subscribe: (scope, subscriber, from) => {
        const unsubscribe =
          scope.integrationId === null ? bus.subscribeApplication(scope.applicationId, subscriber) : bus.subscribeIntegration(scope.integrationId, scope.applicationId, subscriber);
        tail?.follow(scope.applicationId, from ?? 0);
        return unsubscribe;
      },
      ...(tail ? { startOfLive: async (scope) => (await store.messages.cursor(scope.applicationId, null, 0)).last } : {}),
      ...(member && cluster
        ? {
            elsewhere: async (integrationId) => {
              if (supervisor.holds(integrationId)) return undefined;
              const holder = await cluster.repository.holderOf(integrationId);
              if (!holder) return 'nowhere';
              return holder.id === member.nodeId ? undefined : { node: holder.id, url: holder.url };
            },
          }
        : {}),
      cursor: (scope, pos) => store.messages.cursor(scope.applicationId, scope.integrationId, pos),
      page: (scope, pos, limit) => store.messages.page(scope.applicationId, scope.integrationId, pos, limit),
      list: (applicationId, integrationId, query) => (log.retaining ? store.messages.list(applicationId, integrationId, query) : Promise.resolve({ items: [], totalCount: 0 })),
      publish: (integrationId, message) => supervisor.publish(integrationId, message),
    };
  }

  /** True from the end of start() (every enabled integration linked) until stop(): GET /ready. */
  get started(): boolean {
    return this.running;
  }

  /** `url`: where the other nodes of a cluster reach this one (NODE_URL, or the address it listens on). */
  async start(url = ''): Promise<void> {
    this.url = url;
    this.startedAt = new Date();
    this.log.start();
    await this.supervisor.start();
    await this.member?.start(url);
    this.running = true;
  }

  /**
   * Links first (so nothing more arrives; in a cluster their integrations are
   * then released at once, for the other nodes to take over), then what the
   * log still holds is committed and acknowledged.
   */
  async stop(): Promise<void> {
    this.running = false;
    this.statuses.close('The server is shutting down');
    await this.member?.stop();
    await this.supervisor.stop();
    await this.member?.leave();
    this.tail?.stop();
    await this.log.stop();
  }

  /** The live nodes (GET /cluster); without a cluster, this process alone. */
  async nodes(): Promise<ClusterNodeRow[]> {
    if (this.store.cluster) return this.store.cluster.liveNodes();
    const now = new Date().toISOString();
    return [{ id: this.nodeId, url: this.url, startedAt: this.startedAt.toISOString(), lastSeen: now, integrations: this.supervisor.linkCount }];
  }
}
