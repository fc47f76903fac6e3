import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import { principalKey } from '../auth/principal.js';
import { TooManyRequestsError } from '../errors.js';

export interface RateLimitSettings {
  /** Requests per token per window; 0 turns general rate limiting off (login throttling stays on). */
  readonly max: number;
  readonly windowMs: number;
}

/**
 * Rate limits count per caller (token or user), after authentication; the
 * login route carries its own per-email-and-address limit.
 */
export async function registerRateLimit(app: FastifyInstance, settings: RateLimitSettings): Promise<void> {
  await app.register(rateLimit, {
    global: settings.max > 0,
    max: Math.max(settings.max, 1),
    timeWindow: settings.windowMs,
    hook: 'preHandler',
    keyGenerator: (request) => (request.principal ? principalKey(request.principal) : `ip|${request.ip}`),
    errorResponseBuilder: (_request, context) =>
      new TooManyRequestsError(`Too many requests; retry in ${context.after}`, Math.max(1, Math.ceil(context.ttl / 1000))),
  });
}
