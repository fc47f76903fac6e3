import cors from '@fastify/cors';
import type { FastifyInstance } from 'fastify';

/** The methods the API answers; a preflight for any other is refused. */
const METHODS = ['GET', 'POST', 'PATCH', 'DELETE'];

/**
 * Browsers on `origins` (CORS_ORIGINS) may call the API, sending only the
 * headers it reads (the token and the body's type). With no origins, nothing
 * is registered and browsers keep their same-origin rule.
 */
export async function registerCors(app: FastifyInstance, origins: readonly string[]): Promise<void> {
  if (origins.length === 0) return;
  await app.register(cors, {
    origin: [...origins],
    methods: METHODS,
    allowedHeaders: ['Authorization', 'Content-Type'],
    exposedHeaders: ['Retry-After'],
    // The token travels in a header, never a cookie.
    credentials: false,
    maxAge: 600,
    // Its strict mode answers a preflight lacking Origin with a text/plain 400; such a request is no browser's, and gets no CORS headers anyway.
    strictPreflight: false,
  });
}
