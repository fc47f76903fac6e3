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
