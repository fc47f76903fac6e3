import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { listen, readBody } from '../http.js';
import { carries, parseStreamPath } from './paths.js';
import type { EventOrigin, StreamScope } from './paths.js';

/**
 * A Particle Cloud API on 127.0.0.1, port 0, with what the connector uses:
 * the event streams (SSE, `:ok` keep-alives, name-prefix filtering, the
 * org/product/device scopes), the publish endpoints
 * (`POST /v1/devices/events`, `POST /v1/products/{product}/events`) and
 * Particle's 401 for a bad token (Authorization: Bearer or `access_token`).
 */
export interface ParticlePeer {
  /** `http://127.0.0.1:<port>`, what PARTICLE_API_URL would be. */
  readonly url: string;
  /** Tokens accepted; others get 401 invalid_token. */
  readonly tokens: Set<string>;
  /** Streams opened so far, newest last. */
  readonly streams: readonly OpenStream[];
  /** Events published through the API, oldest first. */
  readonly published: readonly PublishedEvent[];
  /** Sends an event to every open stream that carries it; resolves with how many did. */
  emit(name: string, data: string | null, origin?: Partial<EventOrigin> & { ttl?: number; publishedAt?: string }): number;
  /** Ends every open stream (a cut connection, or Particle restarting). */
  dropStreams(): void;
  close(): Promise<void>;
}

export interface OpenStream {
  readonly path: string;
  readonly scope: StreamScope;
  readonly token: string;
  open: boolean;
}

export interface PublishedEvent {
  readonly path: string;
  readonly name: string;
  readonly data: string | undefined;
  readonly token: string;
}

export interface ParticlePeerOptions {
  tokens?: readonly string[];
  /** How often an open stream gets `:ok`; 0 for never. */
  keepAliveMs?: number;
}

const INVALID_TOKEN = JSON.stringify({ error: 'invalid_token', error_description: 'The access token provided is invalid.' });

export async function startParticlePeer(options: ParticlePeerOptions = {}): Promise<ParticlePeer> {
  const tokens = new Set(options.tokens ?? ['particle-test-token']);
  const keepAliveMs = options.keepAliveMs ?? 1000;
  const streams: (OpenStream & { response: ServerResponse })[] = [];
  const published: PublishedEvent[] = [];
  const sockets = new Set<Socket>();

  const send = (response: ServerResponse, status: number, body: string) => {
    response.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(body) });
    response.end(body);
  };

  const emit: ParticlePeer['emit'] = (name, data, origin = {}) => {
    const from: EventOrigin = { coreid: origin.coreid ?? '0123456789abcdef01234567', ...origin };
    const payload = JSON.stringify({ data, ttl: origin.ttl ?? 60, published_at: origin.publishedAt ?? new Date().toISOString(), coreid: from.coreid });
    let count = 0;
    for (const stream of streams) {
      if (!stream.open || !carries(stream.scope, name, from)) continue;
      stream.response.write(`event: ${name}\ndata: ${payload}\n\n`);
      count++;
    }
    return count;
  };

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://particle.invalid');
    const body = await readBody(request);
    const form = request.method === 'POST' ? formOf(request, body) : new URLSearchParams();
    const bearer = /^Bearer (.+)$/i.exec(request.headers.authorization ?? '')?.[1];
    const token = bearer ?? url.searchParams.get('access_token') ?? form.get('access_token') ?? '';
    if (!tokens.has(token)) return send(response, 401, INVALID_TOKEN);

    const publishMatch = /^\/v1\/(?:products\/([^/]+)\/)?(?:devices\/)?events\/?$/.exec(url.pathname);
    if (request.method === 'POST' && publishMatch && (publishMatch[1] || url.pathname.startsWith('/v1/devices/'))) {
      const name = form.get('name');
      if (!name) return send(response, 400, JSON.stringify({ ok: false, error: 'Event name is required' }));
      published.push({ path: url.pathname, name, data: form.get('data') ?? undefined, token });
      // Particle delivers API-published events to the account's streams with coreid "api".
      emit(name, form.get('data'), { coreid: 'api', product: publishMatch[1] ? decodeURIComponent(publishMatch[1]) : undefined });
      return send(response, 200, JSON.stringify({ ok: true }));
    }
    const scope = request.method === 'GET' ? parseStreamPath(url.pathname) : undefined;
    if (!scope) return send(response, 404, JSON.stringify({ ok: false, error: 'Not Found' }));

    response.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive' });
    response.write(':ok\n\n');
    const stream = { path: url.pathname, scope, token, open: true, response };
    streams.push(stream);
    const keepAlive = keepAliveMs > 0 ? setInterval(() => response.write(':ok\n\n'), keepAliveMs) : undefined;
    response.once('close', () => {
      stream.open = false;
      clearInterval(keepAlive);
    });
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => send(response, 500, JSON.stringify({ error: String(error) })));
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  const port = await listen(server);
  return {
    url: `http://127.0.0.1:${port}`,
    tokens,
    streams,
    published,
    emit,
    dropStreams() {
      for (const stream of streams) if (stream.open) stream.response.socket?.destroy();
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function formOf(request: IncomingMessage, body: Buffer): URLSearchParams {
  const text = body.toString('utf8');
  if ((request.headers['content-type'] ?? '').includes('application/json')) {
    const parsed = JSON.parse(text || '{}') as Record<string, unknown>;
    return new URLSearchParams(Object.entries(parsed).map(([key, value]): [string, string] => [key, typeof value === 'string' ? value : JSON.stringify(value)]));
  }
  return new URLSearchParams(text);
}
