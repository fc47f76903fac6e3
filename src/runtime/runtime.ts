import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import type { DomainEvents } from '../events.js';
import type { IntegrationService } from '../resources/integrations/service.js';
import type { IntegrationType } from '../domain/integration-types.js';
import type { Store } from '../store/store.js';
import { systemClock, type Clock } from './clock.js';
import { ConnectGate } from './connect-gate.js';
import type { ConnectorFactory } from './connector.js';
import { MessageBus } from './message-bus.js';
import { StatusWriter } from './status-writer.js';
import { Supervisor } from './supervisor.js';

export interface RuntimeDeps {
  readonly config: Config;
  readonly store: Store;
  readonly events: DomainEvents;
  readonly integrations: IntegrationService;
  readonly factories: Partial<Record<IntegrationType, ConnectorFactory>>;
  readonly logger: Logger;
  readonly clock?: Clock;
  readonly random?: () => number;
}

/** How often statuses reach the store; GET shows a change within this. */
const STATUS_FLUSH_MS = 200;
const KEEPALIVE_REPORT_MS = 5_000;

/** The live side of Tributary: links, their statuses, and the message bus the streams read. */
export class Runtime {
  readonly bus = new MessageBus();
  readonly supervisor: Supervisor;

  constructor(deps: RuntimeDeps) {
    const { config } = deps;
    const clock = deps.clock ?? systemClock;
    const logger = deps.logger.child({ module: 'runtime' });
    const writer = new StatusWriter(deps.store, clock, logger, { flushMs: STATUS_FLUSH_MS, eventsPerIntegration: config.eventsPerIntegration });
    this.supervisor = new Supervisor({
      events: deps.events,
      enabledSpecs: (types) => deps.integrations.enabledSpecs(types),
      factories: deps.factories,
      bus: this.bus,
      writer,
      gate: new ConnectGate(config.connectRate, clock),
      clock,
      logger,
      linkOptions: {
        backoff: { baseMs: config.reconnectBase, maxMs: config.reconnectMax },
        resetAfterMs: config.reconnectReset,
        keepAliveReportMs: KEEPALIVE_REPORT_MS,
        connector: { connectTimeoutMs: config.connectTimeout, keepaliveSeconds: config.keepalive },
      },
      ...(deps.random ? { random: deps.random } : {}),
    });
  }

  start(): Promise<void> {
    return this.supervisor.start();
  }

  stop(): Promise<void> {
    return this.supervisor.stop();
  }
}
