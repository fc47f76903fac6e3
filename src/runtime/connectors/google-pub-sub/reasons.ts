import { describeUnknownError } from '../socket-reasons.js';

/** Why a Pub/Sub call failed, as one sentence for `disconnectInfo.error`. */

/** gRPC status codes by number (grpc/doc/statuscodes.md), for errors that give only the number. */
const STATUS_NAMES = [
  'OK',
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
] as const;

export const STATUS = { NOT_FOUND: 5, ALREADY_EXISTS: 6, INVALID_ARGUMENT: 3 } as const;

export const STREAM_ENDED = 'The message stream was closed by Pub/Sub';

/** The fields gax and grpc-js set on a failed call. */
interface GrpcErrorFields {
  code?: unknown;
  details?: unknown;
}

export function grpcCode(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as GrpcErrorFields).code;
  return typeof code === 'number' ? code : undefined;
}

/**
 * A failed call in Google's words: the status details and the code's name
 * ("Resource not found (resource=orders). (NOT_FOUND)"). Errors without a
 * gRPC status (a bad key file, say) keep their own message.
 */
export function describePubSubError(error: unknown): string {
  const code = grpcCode(error);
  const name = code === undefined ? undefined : STATUS_NAMES[code];
  if (name === undefined) return describeUnknownError(error);
  const details = (error as GrpcErrorFields).details;
  const text = typeof details === 'string' && details !== '' ? details : error instanceof Error ? error.message : '';
  return text ? `${text} (${name})` : `Pub/Sub answered ${name}`;
}
