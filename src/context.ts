import pino, { type Logger } from 'pino';
import { AuthService } from './auth/service.js';
import type { Config } from './config/config.js';
import { DomainEvents } from './events.js';
import { createMetrics, type AppMetrics } from './metrics/index.js';
import { ApplicationService } from './resources/applications/service.js';
import { IntegrationService } from './resources/integrations/service.js';
import { TokenService } from './resources/tokens/service.js';
import type { IntegrationType } from './domain/integration-types.js';
import type { Clock } from './runtime/clock.js';
import type { ConnectorFactory } from './runtime/connector.js';
import { connectorCleanups, connectorFactories } from './runtime/connectors/registry.js';
import { outboundPolicy } from './runtime/connectors/outbound.js';
import { Runtime } from './runtime/runtime.js';
import { loadSecretKey, loadSigningKey, verifySecretKey } from './security/keys.js';
import { createSealer } from './security/sealer.js';
import { createTokenCodec } from './security/tokens.js';
import { openStore, storeOptionsFrom } from './store/open.js';
import type { Store } from './store/store.js';
import { UserService } from './users/service.js';
import { newNodeId } from './runtime/cluster/node-id.js';

/**
 * Everything the process wires together once: store, keys, services.
 * The HTTP app and the runtime are built on top of it.
 */
export interface Context {
  readonly config: Config;
  readonly store: Store;
  readonly events: DomainEvents;
  readonly auth: AuthService;
  readonly users: UserService;
  readonly applications: ApplicationService;
  readonly tokens: TokenService;
  readonly integrations: IntegrationService;
  /** Built but not started; the server starts it after listening. */
  readonly runtime: Runtime;
  /** Counters the runtime and the streams add to, read by GET /metrics. */
  readonly metrics: AppMetrics;
  close(): Promise<void>;
}

/** Set once every integration's secret fields are sealed as the current SECRET_FIELDS says. */
const SEALED_FIELDS_MARK = 'sealed-fields-v2';

export interface ContextOptions {
  /** Use this store instead of opening one from the config (tests); the caller keeps it and closes it. */
  readonly store?: Store;
  readonly logger?: Logger;
  readonly factories?: Partial<Record<IntegrationType, ConnectorFactory>>;
  readonly clock?: Clock;
}

export async function createContext(config: Config, options: ContextOptions = {}): Promise<Context> {
  const logger = options.logger ?? pino({ level: 'silent' });
  const nodeId = config.nodeId ?? newNodeId();
  const theStore = options.store ?? (await openStore({ ...storeOptionsFrom(config, nodeId), onError: (message: string) => logger.warn({ module: 'store' }, message) }));
  try {
    const sealer = createSealer(loadSecretKey(config.secretKey, config.dataDir));
    await verifySecretKey(theStore.settings, sealer);
    const codec = createTokenCodec(await loadSigningKey(theStore.settings, sealer));
    const events = new DomainEvents();
    const auth = new AuthService(theStore, codec, events, { userTokenTtlSeconds: config.userTokenTtl, userTokenTtlMaxSeconds: config.userTokenTtlMax });
    const integrations = new IntegrationService(theStore, sealer, events, undefined, outboundPolicy(config.outboundDeny, config.outboundAllow));
    // WebSocket URLs and headers are secrets since the second version of the sealed fields: rows written before get sealed, once.
    if ((await theStore.settings.get(SEALED_FIELDS_MARK)) === undefined) {
      const sealed = await integrations.sealLegacySecrets();
      if (sealed > 0) logger.info({ integrations: sealed }, 'sealed config fields stored in plain text by an earlier version');
      await theStore.settings.getOrInsert(SEALED_FIELDS_MARK, new Date().toISOString());
    }
    const metrics = createMetrics(events, { perIntegration: config.metricsPerIntegration });
    const runtime = new Runtime({
      config,
      nodeId: theStore.nodeId ?? nodeId,
      store: theStore,
      events,
      integrations,
      factories: options.factories ?? connectorFactories,
      cleanups: connectorCleanups,
      logger,
      observer: metrics.integrations,
      ...(options.clock ? { clock: options.clock } : {}),
    });
    return {
      config,
      store: theStore,
      events,
      auth,
      users: new UserService(theStore, (userId) => auth.forgetUser(userId)),
      applications: new ApplicationService(theStore, events, (applicationId) => integrations.specsOfApplication(applicationId)),
      tokens: new TokenService(theStore, auth, events),
      integrations,
      runtime,
      metrics,
      close: async () => {
        if (!options.store) await theStore.close();
      },
    };
  } catch (err) {
    // Close only what was opened here; a store passed in belongs to the caller.
    if (!options.store) await theStore.close();
    throw err;
  }
}
