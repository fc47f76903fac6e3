import type { IncomingHttpHeaders, ServerOptions } from 'node:http';
import type { FastifyInstance } from 'fastify';

/** SPEC §10: the headers of a request must arrive within this, whatever the request timeout. */
const HEADERS_TIMEOUT_MS = 10_000;

/**
 * Node's timers for a request still arriving (SPEC §10): the headers within
 * 10 s (or the request timeout, if shorter: Node requires it), the whole
 * request within `requestTimeout`, else 408 and closed (see
 * clientErrorHandler). A request stops counting once it has fully arrived,
 * so a stream (a GET with no body) is not cut. Node looks for late requests
 * every `connectionsCheckingInterval` (30 s by default, far coarser than the
 * timeouts), so it is tied to them here.
 */
export function requestTimeouts(requestTimeout: number): { requestTimeout: number; http: ServerOptions } {
  const headersTimeout = Math.min(HEADERS_TIMEOUT_MS, requestTimeout);
  const connectionsCheckingInterval = Math.max(50, Math.min(1000, Math.floor(headersTimeout / 4)));
  return { requestTimeout, http: { requestTimeout, headersTimeout, connectionsCheckingInterval } };
}

function declaresBody(headers: IncomingHttpHeaders): boolean {
  return headers['transfer-encoding'] !== undefined || (headers['content-length'] !== undefined && headers['content-length'] !== '0');
}

/**
 * An answer given before the request's body has arrived (a 401 to an
 * unauthenticated upload, a 404, a 413) closes the connection once written:
 * otherwise Node would go on reading and discarding the rest of the body, for
 * as long as the client cares to send it, to keep the connection alive.
 */
export function registerEarlyAnswerClose(app: FastifyInstance): void {
  app.addHook('onSend', (request, reply, payload, done) => {
    // `Connection: close` makes Node end the socket once the answer is written, and destroy it after.
    if (!request.raw.complete && declaresBody(request.headers)) reply.header('connection', 'close');
    done(null, payload);
  });
}
