import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import type { DomainEvents } from '../events.js';
import type { IntegrationService } from '../resources/integrations/service.js';
import type { IntegrationSpec } from '../domain/integration-spec.js';
import type { IntegrationType } from '../domain/integration-types.js';
import type { Store } from '../store/store.js';
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
  private running = false;

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
    const statuses = new StatusFeed(deps.events);
    this.statuses = statuses;
    const writer = new StatusWriter(deps.store, clock, logger, {
      flushMs: STATUS_FLUSH_MS,
      eventsPerIntegration: config.eventsPerIntegration,
      onStatus: (id, status) => statuses.publish(id, status),
    });
    const log = new MessageLog(deps.store, this.bus, { count: config.messageRetentionCount, seconds: config.messageRetentionSeconds }, clock, logger);
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
    });
    log.onCongestion((congested) => this.supervisor.throttle(congested));
    deps.events.on('integrationsRemoved', (specs) => {
      for (const spec of specs) {
        deps.cleanups?.[spec.integrationType]?.(spec, connectorOptions).catch((err: unknown) => {
          logger.warn({ err, integrationId: spec.id }, 'could not remove what the integration left at its service');
        });
      }
    });
    const { store, bus, supervisor } = { store: deps.store, bus: this.bus, supervisor: this.supervisor };
    this.messages = {
      retaining: log.retaining,
      subscribe: (scope, subscriber) =>
        scope.integrationId === null ? bus.subscribeApplication(scope.applicationId, subscriber) : bus.subscribeIntegration(scope.integrationId, scope.applicationId, subscriber),
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

  start(): Promise<void> {
    this.log.start();
    return this.supervisor.start().then(() => void (this.running = true));
  }

  /** Links first (so nothing more arrives), then what the log still holds is committed and acknowledged. */
  async stop(): Promise<void> {
    this.running = false;
    this.statuses.close('The server is shutting down');
    await this.supervisor.stop();
    await this.log.stop();
  }
}
