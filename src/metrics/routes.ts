import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { UnauthorizedError } from '../errors.js';
import type { Metrics } from './metrics.js';

const SENT = Symbol('sent through Fastify');
type Marked = FastifyRequest & { [SENT]?: true };

/**
 * GET /metrics (Prometheus text), open unless `token` is set, and the request
 * duration histogram. Only replies Fastify sends are timed: a stream takes
 * its socket over (reply.hijack) and never passes onSend, so an SSE stream's
 * hours-long life stays out of the request durations.
 */
export function registerMetrics(app: FastifyInstance, metrics: Metrics, token: string | undefined): void {
  app.addHook('onSend', (request, _reply, payload, done) => {
    (request as Marked)[SENT] = true;
    done(null, payload);
  });
  app.addHook('onResponse', (request, reply, done) => {
    if ((request as Marked)[SENT]) metrics.observeRequest(request.routeOptions.url ?? 'unmatched', request.method, reply.statusCode, reply.elapsedTime / 1000);
    done();
  });

  const expected = token === undefined ? undefined : Buffer.from(`Bearer ${token}`);
  app.get('/metrics', { schema: { hide: true } }, async (request, reply) => {
    if (expected !== undefined && !matches(request.headers.authorization, expected)) {
      throw new UnauthorizedError('GET /metrics requires Authorization: Bearer <METRICS_TOKEN>');
    }
    const text = await metrics.registry.metrics();
    return reply.type(metrics.registry.contentType).send(text);
  });
}

function matches(given: string | undefined, expected: Buffer): boolean {
  if (given === undefined) return false;
  const bytes = Buffer.from(given);
  return bytes.length === expected.length && timingSafeEqual(bytes, expected);
}
