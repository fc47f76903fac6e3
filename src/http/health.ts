import type { FastifyInstance } from 'fastify';
import { ServiceUnavailableError } from '../errors.js';
import type { Store } from '../store/store.js';

/** A readiness probe must answer within a probe's usual timeout (Kubernetes: 1 s), so the store gets less. */
const READY_PING_TIMEOUT_MS = 800;

export interface HealthSources {
  readonly store: Pick<Store, 'ping' | 'kind'>;
  readonly runtime: { readonly started: boolean };
  readonly version: string;
}

/**
 * GET /health: the process is up and answering, nothing more (no I/O, always
 * 200), for a liveness probe. GET /ready: the store answers and the runtime
 * has started, else 503, for a readiness probe or a load balancer.
 */
export function registerHealth(app: FastifyInstance, sources: HealthSources): void {
  const { store, runtime, version } = sources;
  app.get('/health', { schema: { hide: true } }, async () => ({ status: 'ok', store: store.kind, version }));

  app.get('/ready', { schema: { hide: true } }, async () => {
    if (!runtime.started) throw new ServiceUnavailableError('The runtime has not started');
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${READY_PING_TIMEOUT_MS} ms`)), READY_PING_TIMEOUT_MS);
    });
    try {
      await Promise.race([store.ping(), timeout]);
    } catch {
      throw new ServiceUnavailableError('The data store is unavailable');
    } finally {
      clearTimeout(timer);
    }
    return { status: 'ready', store: store.kind, version };
  });
}
