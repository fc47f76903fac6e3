import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../errors.js';

const TYPE_BY_STATUS: Record<number, string> = {
  400: 'Validation',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  406: 'NotAcceptable',
  413: 'PayloadTooLarge',
  414: 'Validation',
  415: 'Validation',
  429: 'TooManyRequests',
  431: 'Validation',
  503: 'ServiceUnavailable',
};

const MESSAGE_BY_CODE: Record<string, string> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'The request body is larger than the server accepts',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'The Content-Length header does not match the body',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'The request body is empty',
  FST_ERR_BAD_URL: 'The URL is malformed',
};

function send(reply: FastifyReply, status: number, type: string, message: string, headers: Record<string, string> = {}): FastifyReply {
  return reply.code(status).headers(headers).type('application/json; charset=utf-8').send(JSON.stringify({ type, message }));
}

/**
 * The one place errors become responses: `{ type, message }` with Losant's
 * types. Known errors keep their message; anything unexpected is logged with
 * the request id and answered without internals.
 */
export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | ApiError, request: FastifyRequest, reply: FastifyReply) => {
    if (error instanceof ApiError) {
      if (error.statusCode >= 500) request.log.warn({ err: error.cause ?? error, reqId: request.id }, error.message);
      return send(reply, error.statusCode, error.type, error.message, { ...error.headers });
    }
    const status = error.statusCode ?? 500;
    const type = TYPE_BY_STATUS[status];
    if (status < 500 && type) {
      return send(reply, status, type, MESSAGE_BY_CODE[error.code] ?? error.message);
    }
    request.log.error({ err: error, reqId: request.id, url: request.url }, 'unexpected error');
    return send(reply, 500, 'InternalError', `Internal server error (request ${request.id})`);
  });

  app.setNotFoundHandler((request, reply) => send(reply, 404, 'NotFound', `Route ${request.method} ${request.url.split('?')[0]} was not found`));
}

/** Errors Fastify raises before routing (bad URL, bad headers), in the same shape. */
export function frameworkErrors(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  const status = error.statusCode && error.statusCode < 500 ? error.statusCode : 400;
  void send(reply, status, TYPE_BY_STATUS[status] ?? 'Validation', MESSAGE_BY_CODE[error.code] ?? error.message);
}

/** Node's own rejections of a connection, before any request reaches Fastify. */
const CLIENT_ERRORS: Record<string, { readonly status: number; readonly type: string; readonly message: string }> = {
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, type: 'RequestTimeout', message: 'The request did not arrive in time' },
  HPE_HEADER_OVERFLOW: { status: 431, type: 'Validation', message: 'The request headers are larger than the server accepts' },
  HPE_CHUNK_EXTENSIONS_OVERFLOW: { status: 413, type: 'PayloadTooLarge', message: 'The chunk extensions are larger than the server accepts' },
};
const BAD_REQUEST = { status: 400, type: 'Validation', message: 'The request is not valid HTTP' };
const REASONS: Record<number, string> = { 400: 'Bad Request', 408: 'Request Timeout', 413: 'Payload Too Large', 431: 'Request Header Fields Too Large' };

/**
 * Answers what Node's parser and timers reject (a malformed request, headers
 * over the limit, a request too slow to arrive) in the API's error shape, then
 * closes the connection. Nothing is written once a response has begun, since
 * that would corrupt it; a reset connection gets nothing at all.
 */
export function clientErrorHandler(error: Error & { code?: string }, socket: Socket): void {
  const inFlight = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  if (!inFlight?.headersSent) {
    const { status, type, message } = (error.code && CLIENT_ERRORS[error.code]) || BAD_REQUEST;
    const body = JSON.stringify({ type, message });
    socket.write(
      `HTTP/1.1 ${status} ${REASONS[status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  // Closed once the answer has left (destroy() now could discard it before the kernel takes it), and at the latest in a second.
  socket.destroySoon();
  socket.setTimeout(1000, () => socket.destroy());
}
