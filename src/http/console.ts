import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

/**
 * The web console: the files `npm run build` puts in dist/console (from
 * console/), served under /console/, and `/` sends a browser there. The path
 * is the same from src/http (tests, tsx) and from dist/http (npm start).
 */
export const CONSOLE_DIR = fileURLToPath(new URL('../../dist/console/', import.meta.url));

/** Only our own files, no inline script, nothing framed: the console holds a token. */
const CONTENT_SECURITY_POLICY = "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

export async function registerConsole(app: FastifyInstance, dir = CONSOLE_DIR): Promise<void> {
  app.get('/', { schema: { hide: true } }, (_request, reply) => reply.redirect('/console/'));

  if (!existsSync(join(dir, 'index.html'))) {
    app.get('/console/*', { schema: { hide: true } }, (_request, reply) =>
      reply.code(503).type('text/plain; charset=utf-8').send('The web console is not built: run `npm run build`.\n'),
    );
    return;
  }
  await app.register(fastifyStatic, {
    root: dir,
    prefix: '/console/',
    decorateReply: false,
    index: 'index.html',
    // One route per built file: the app's ignoreTrailingSlash keeps a wildcard route from finding the index.
    wildcard: false,
    // Assets carry a content hash in their names, so they never change; the page itself is checked every time.
    cacheControl: false,
    setHeaders: (reply, path) => {
      reply.header('cache-control', path.includes('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache');
      reply.header('content-security-policy', CONTENT_SECURITY_POLICY);
      reply.header('x-content-type-options', 'nosniff');
      reply.header('referrer-policy', 'no-referrer');
    },
  });
}
