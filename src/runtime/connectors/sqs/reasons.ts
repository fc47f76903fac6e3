import { describeSocketError, describeUnknownError } from '../socket-reasons.js';
import type { Target } from '../socket-reasons.js';

/** Why an SQS call failed, as one sentence for `disconnectInfo.error`. */

/** The fields the AWS SDK sets on a service error; all optional, since network errors have none. */
interface ServiceErrorFields {
  name?: unknown;
  /** The AWS Query error code (`x-amzn-query-error`), e.g. AWS.SimpleQueueService.NonExistentQueue. */
  Code?: unknown;
  $metadata?: { httpStatusCode?: unknown };
}

/**
 * An error the SDK threw. SQS's own words win: its message, its error code and
 * the HTTP status ("The security token included in the request is invalid.
 * (InvalidClientTokenId, HTTP 403)"); socket errors read as for every other
 * connector.
 */
export function describeSqsError(error: unknown, target: Target | undefined): string {
  const socket = describeSocketError(error, 'server', target);
  if (socket !== undefined) return socket;
  if (!(error instanceof Error)) return describeUnknownError(error);
  const fields = error as ServiceErrorFields;
  const status = fields.$metadata?.httpStatusCode;
  if (typeof status !== 'number') return describeUnknownError(error);
  const code = typeof fields.Code === 'string' ? fields.Code : typeof fields.name === 'string' ? fields.name : undefined;
  const message = error.message && error.message !== 'UnknownError' ? error.message : `SQS answered HTTP ${status}`;
  return code ? `${message} (${code}, HTTP ${status})` : `${message} (HTTP ${status})`;
}

/** Host and port of the queue URL, for socket errors that do not name them. */
export function queueTarget(queueUrl: string): Target | undefined {
  try {
    const url = new URL(queueUrl);
    return { host: url.hostname, port: url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80 };
  } catch {
    return undefined;
  }
}

export const NOT_A_URL = 'The queue URL is not a valid URL';
