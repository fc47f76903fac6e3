import { describeSocketError, describeUnknownError, timedOut } from '../socket-reasons.js';
import type { Target } from '../socket-reasons.js';

/**
 * Event Hubs failures worded for the integration's status. The SDK carries
 * the service's own description as the message of its MessagingError
 * (`InvalidSignature: The token has an invalid signature.`, `The messaging
 * entity '…' could not be found.`), so that is what is shown; network errors
 * read as every connector words them.
 */

/** The SDK's system-error codes are the Node ones, sometimes only inside the message. */
const SYSTEM_CODE = /\b(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN|EPIPE)\b/;

export const NOT_CONNECTED_BEFORE_ACK = 'The link was lost before Event Hubs accepted the event';
export const HOST_NAME_NEEDS_CREDENTIAL =
  'hostName needs an Azure AD (Entra ID) credential, which this Tributary does not carry; use a connectionString with a shared access key';
export const LINK_CLOSED = 'Connection closed by Event Hubs';

export function describeEventHubError(error: unknown, target: Target | undefined): string {
  if (typeof error === 'object' && error !== null && (error as { name?: unknown }).name === 'AbortError') {
    return 'The operation was aborted';
  }
  const socket = describeSocketError(error, 'server', target);
  if (socket !== undefined) return socket;
  if (error instanceof Error) {
    const code = SYSTEM_CODE.exec(error.message)?.[1];
    if (code !== undefined) return describeSocketError(Object.assign(new Error(error.message), { code }), 'server', target) ?? error.message;
    if (error.name === 'MessagingError' || error.name === 'OperationTimeoutError') return trimTracking(error.message);
  }
  return describeUnknownError(error);
}

/** Why the SDK would not build a client. Its own messages quote the whole connection string, key included: never show them. */
export function describeClientError(error: unknown, hubName: string): string {
  const message = error instanceof Error ? error.message : String(error);
  const entity = /The entity path "([^"]*)"/.exec(message);
  if (entity !== null) return `The connection string's EntityPath "${entity[1] ?? ''}" does not match hubName "${hubName}"`;
  if (/Endpoint/i.test(message)) return 'The connection string has no Endpoint';
  if (/sharedAccessKeyName/i.test(message)) return 'The connection string has no SharedAccessKeyName';
  if (/sharedAccessKey/i.test(message)) return 'The connection string has no SharedAccessKey';
  if (/port/i.test(message)) return 'The connection string has an invalid port';
  return 'The connection string is not valid';
}

/** The service appends tracking ids and timestamps that change on every call; the status keeps what stays. */
function trimTracking(message: string): string {
  return message.replace(/\s*TrackingId:.*$/s, '').trim();
}

export function keepaliveTimeout(seconds: number): string {
  return `Keepalive timeout: Event Hubs did not answer within ${seconds} s`;
}

export { timedOut };
