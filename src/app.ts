import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { authRoutes } from './auth/routes.js';
import type { Context } from './context.js';
import { registerAuthentication } from './http/authenticate.js';
import { registerCommonSchemas } from './http/common-schemas.js';
import { registerConsole } from './http/console.js';
import { registerEarlyAnswerClose, requestTimeouts } from './http/connections.js';
import { registerCors } from './http/cors.js';
import { clientErrorHandler, frameworkErrors, registerErrorHandling } from './http/error-handler.js';
import { registerHealth } from './http/health.js';
import { registerJsonBody } from './http/json-body.js';
import { registerMetrics } from './metrics/routes.js';
import { registerOpenApi } from './http/openapi.js';
import { streamRegistry } from './http/stream-registry.js';
import { registerRateLimit } from './http/rate-limit.js';
import { validatorCompiler } from './http/validation.js';
import { applicationRoutes } from './resources/applications/routes.js';
import { clusterRoutes } from './resources/cluster/routes.js';
import { integrationMessageRoutes } from './resources/integration-messages/routes.js';
import { integrationStatusRoutes } from './resources/integration-status/routes.js';
import { integrationProbeRoute } from './resources/integrations/probe-route.js';
import { integrationRoutes } from './resources/integrations/routes.js';
import { tokenRoutes } from './resources/tokens/routes.js';
import { VERSION } from './version.js';

const REQUEST_LOG_LEVELS = new Set(['trace', 'debug', 'info']);

export interface AppOptions {
  /** A pino logger; requests are not logged when absent (tests). */
  readonly logger?: FastifyBaseLogger;
}

/** Builds the HTTP app on a context. It never listens: that is the server's job. */
export async function buildApp(ctx: Context, options: AppOptions = {}): Promise<FastifyInstance> {
  const { config } = ctx;
  const app = Fastify({
    ...(options.logger ? { loggerInstance: options.logger } : { logger: false }),
    // A child logger per request only pays off when requests are logged (info and below).
    childLoggerFactory: (logger, bindings, childOptions) => (REQUEST_LOG_LEVELS.has(logger.level) ? logger.child(bindings, childOptions) : logger),
    bodyLimit: config.bodyLimit,
    trustProxy: config.trustProxy,
    // Idle keep-alive sockets close at once; requests in flight finish first (streams are ended by the runtime).
    forceCloseConnections: 'idle',
    return503OnClosing: true,
    frameworkErrors,
    clientErrorHandler,
    ...requestTimeouts(config.requestTimeout),
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 500 },
  });
  app.setValidatorCompiler(validatorCompiler);
  registerErrorHandling(app);
  registerEarlyAnswerClose(app);
  await registerCors(app, config.corsOrigins);
  registerJsonBody(app);
  registerCommonSchemas(app);
  await registerOpenApi(app, VERSION);
  registerAuthentication(app, ctx.auth);
  await registerRateLimit(app, { max: config.rateLimitMax, windowMs: config.rateLimitWindow });

  registerMetrics(app, ctx.metrics.prometheus, config.metricsToken);
  registerHealth(app, { store: ctx.store, runtime: ctx.runtime, version: VERSION });
  authRoutes(app, ctx.auth, { max: config.loginRateLimit });
  applicationRoutes(app, ctx.applications);
  tokenRoutes(app, ctx.tokens);
  integrationRoutes(app, ctx.integrations, ctx.events);
  integrationProbeRoute(app, ctx.integrations, ctx.runtime);
  const streams = streamRegistry(
    { auth: ctx.auth, events: ctx.events, changes: ctx.store.changes, applicationExists: async (id) => (await ctx.store.applications.findById(id)) !== undefined },
    config.streamsPerToken,
  );
  app.addHook('onClose', async () => streams.stop());
  integrationMessageRoutes(app, ctx.integrations, ctx.runtime.messages, streams, { sseBuffer: config.sseBuffer, publishTimeoutMs: config.connectTimeout, metrics: ctx.metrics.sse });
  integrationStatusRoutes(app, ctx.integrations, ctx.runtime.statuses, streams, { sseBuffer: config.sseBuffer, metrics: ctx.metrics.sse });
  clusterRoutes(app, ctx.runtime);
  await registerConsole(app);
  return app;
}
