/**
 * Turns the errors of Node's net, dns and tls layers into the sentence shown in
 * an integration's `disconnectInfo.error`. Shared by every socket-based
 * connector (the WebSocket connector imports it too), so the same failure reads
 * the same whatever the integration type.
 */
import { OutboundDeniedError } from './outbound.js';

/** Who is at the other end, for sentences like "Connection reset by the broker". */
export type Peer = 'broker' | 'server';

/** Where we tried to go, for errors that do not say it themselves. */
export interface Target {
  readonly host: string;
  readonly port: number;
}

/** Fields Node sets on system errors; all optional because errors come from several layers. */
interface SystemErrorFields {
  code?: unknown;
  address?: unknown;
  port?: unknown;
  hostname?: unknown;
  errors?: unknown;
}

/** OpenSSL's certificate verification results, as Node reports them in `error.code`. */
const CERTIFICATE_CODES = new Set([
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_CRL',
  'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
  'UNABLE_TO_DECRYPT_CRL_SIGNATURE',
  'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY',
  'CERT_SIGNATURE_FAILURE',
  'CRL_SIGNATURE_FAILURE',
  'CERT_NOT_YET_VALID',
  'CERT_HAS_EXPIRED',
  'CRL_NOT_YET_VALID',
  'CRL_HAS_EXPIRED',
  'ERROR_IN_CERT_NOT_BEFORE_FIELD',
  'ERROR_IN_CERT_NOT_AFTER_FIELD',
  'ERROR_IN_CRL_LAST_UPDATE_FIELD',
  'ERROR_IN_CRL_NEXT_UPDATE_FIELD',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'CERT_CHAIN_TOO_LONG',
  'CERT_REVOKED',
  'INVALID_CA',
  'PATH_LENGTH_EXCEEDED',
  'INVALID_PURPOSE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'HOSTNAME_MISMATCH',
]);

const DNS_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NODATA', 'EAI_NONAME']);

export function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as SystemErrorFields).code;
  return typeof code === 'string' ? code : undefined;
}

function isTlsCode(code: string): boolean {
  return CERTIFICATE_CODES.has(code) || code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_') || code === 'EPROTO';
}

/**
 * The address a connect error names. With happy-eyeballs (Node 20's
 * autoSelectFamily) a failure is an AggregateError whose own fields are empty,
 * so look at its first attempt, then fall back to what we were asked to reach.
 */
function endpoint(error: SystemErrorFields, target: Target | undefined): string {
  const first = Array.isArray(error.errors) ? (error.errors[0] as SystemErrorFields | undefined) : undefined;
  const address = error.address ?? first?.address ?? target?.host;
  const port = error.port ?? first?.port ?? target?.port;
  if (typeof address !== 'string') return 'the remote host';
  if (typeof port !== 'number') return address;
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

/**
 * The sentence for a network, DNS or TLS error, or undefined when the error is
 * not one of those (the caller then uses its own knowledge or the raw message).
 */
export function describeSocketError(error: unknown, peer: Peer, target?: Target): string | undefined {
  if (!(error instanceof Error)) return undefined;
  // Our own refusal (OUTBOUND_DENY / OUTBOUND_ALLOW) already says it all.
  if (error instanceof OutboundDeniedError) return error.message;
  const code = errorCode(error);
  if (code === undefined) return undefined;
  const fields = error as SystemErrorFields;
  if (DNS_CODES.has(code)) {
    const host = typeof fields.hostname === 'string' ? fields.hostname : (target?.host ?? 'unknown');
    return `DNS lookup failed for host ${host} (${code})`;
  }
  switch (code) {
    case 'ECONNREFUSED':
      return `Connection refused by ${endpoint(fields, target)} (ECONNREFUSED)`;
    case 'ECONNRESET':
      return `Connection reset by the ${peer} (ECONNRESET)`;
    case 'EPIPE':
      return `Connection closed by the ${peer} while sending (EPIPE)`;
    case 'ETIMEDOUT':
      return `Connection to ${endpoint(fields, target)} timed out (ETIMEDOUT)`;
    case 'EHOSTUNREACH':
      return `Host unreachable: ${endpoint(fields, target)} (EHOSTUNREACH)`;
    case 'ENETUNREACH':
      return `Network unreachable for ${endpoint(fields, target)} (ENETUNREACH)`;
  }
  if (isTlsCode(code)) return `TLS error: ${error.message} (${code})`;
  return undefined;
}

/** The raw message, with the code when Node gave one: the last resort of every translation. */
export function describeUnknownError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (error instanceof OutboundDeniedError) return error.message;
  const code = errorCode(error);
  return code !== undefined && !error.message.includes(code) ? `${error.message} (${code})` : error.message;
}

export function timedOut(ms: number): string {
  return `Connection timed out after ${ms} ms`;
}
