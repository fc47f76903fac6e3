import { AuthService } from './auth/service.js';
import type { Config } from './config/config.js';
import { DomainEvents } from './events.js';
import { ApplicationService } from './resources/applications/service.js';
import { IntegrationService } from './resources/integrations/service.js';
import { TokenService } from './resources/tokens/service.js';
import { createSealer, loadSecretKey, loadSigningKey, verifySecretKey } from './security/keys.js';
import { createTokenCodec } from './security/tokens.js';
import { openStore, storeOptionsFrom } from './store/open.js';
import type { Store } from './store/store.js';
import { UserService } from './users/service.js';

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
  close(): Promise<void>;
}

export async function createContext(config: Config, store?: Store): Promise<Context> {
  const theStore = store ?? (await openStore(storeOptionsFrom(config)));
  try {
    const sealer = createSealer(loadSecretKey(config.secretKey, config.dataDir));
    await verifySecretKey(theStore.settings, sealer);
    const codec = createTokenCodec(await loadSigningKey(theStore.settings, sealer));
    const events = new DomainEvents();
    const auth = new AuthService(theStore, codec, events, { userTokenTtlSeconds: config.userTokenTtl });
    return {
      config,
      store: theStore,
      events,
      auth,
      users: new UserService(theStore),
      applications: new ApplicationService(theStore, events),
      tokens: new TokenService(theStore, auth, events),
      integrations: new IntegrationService(theStore, sealer, events),
      close: () => theStore.close(),
    };
  } catch (err) {
    await theStore.close();
    throw err;
  }
}
