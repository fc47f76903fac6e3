/**
 * The one catalogue of API errors. Each carries Losant's `type` and the HTTP
 * status; the error handler turns them into `{ type, message }`.
 */
export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly type: string,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = `${type}Error`;
  }
}

export class ValidationError extends ApiError {
  constructor(message: string) {
    super(400, 'Validation', message);
  }
}

export class UnauthorizedError extends ApiError {
  constructor(message = 'Unauthorized') {
    super(401, 'Unauthorized', message);
  }
}

export class ForbiddenError extends ApiError {
  constructor(message = 'Forbidden') {
    super(403, 'Forbidden', message);
  }
}

export class NotFoundError extends ApiError {
  constructor(message: string) {
    super(404, 'NotFound', message);
  }
}

export class TooManyRequestsError extends ApiError {
  constructor(message: string, retryAfterSeconds: number) {
    super(429, 'TooManyRequests', message, { 'retry-after': String(retryAfterSeconds) });
  }
}

/** The external service refused what we passed on (e.g. an MQTT 5 PUBACK with an error reason). */
export class BadGatewayError extends ApiError {
  constructor(message: string) {
    super(502, 'BadGateway', message);
  }
}

export class ServiceUnavailableError extends ApiError {
  constructor(message: string) {
    super(503, 'ServiceUnavailable', message);
  }
}

/** Raised by the store when the database cannot be reached; the API answers 503. */
export class StoreUnavailableError extends ServiceUnavailableError {
  constructor(cause: unknown) {
    super('The data store is unavailable');
    this.cause = cause;
  }
}
