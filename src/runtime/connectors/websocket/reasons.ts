import { describeSocketError, describeUnknownError } from '../socket-reasons.js';
import type { Target } from '../socket-reasons.js';

/** Why a WebSocket link failed or ended, as one sentence for `disconnectInfo.error`. */

export const KEEPALIVE_TIMEOUT = 'Keepalive timeout';

/** RFC 6455 §7.4.1 and the IANA registry, in lower case to read well inside a sentence. */
const CLOSE_CODES: Readonly<Record<number, string>> = {
  1000: 'normal closure',
  1001: 'going away',
  1002: 'protocol error',
  1003: 'unsupported data',
  1005: 'no status',
  1006: 'abnormal closure',
  1007: 'invalid payload',
  1008: 'policy violation',
  1009: 'message too big',
  1010: 'mandatory extension',
  1011: 'internal error',
  1012: 'service restart',
  1013: 'try again later',
  1014: 'bad gateway',
  1015: 'TLS handshake failure',
};

/**
 * The end of a connection. The server's close reason is its own words and
 * wins over our name for the code. 1006 means no close frame came at all.
 */
export function describeClose(code: number, reason: string): string {
  if (code === 1006) return 'Connection lost without a close frame (1006 abnormal closure)';
  return `Connection closed by the server (${code} ${reason || (CLOSE_CODES[code] ?? 'unknown code')})`;
}

/**
 * An error `ws` emitted. Socket, DNS and TLS errors read as for MQTT; `ws`'s
 * own sentences (e.g. "Unexpected server response: 401" for a refused
 * upgrade) already say what happened.
 */
export function describeWebsocketError(error: unknown, target: Target | undefined): string {
  return describeSocketError(error, 'server', target) ?? describeUnknownError(error);
}

/** Host and port of a ws:// or wss:// URL, for errors that do not name them. */
export function targetOf(url: URL): Target {
  const port = url.port ? Number(url.port) : url.protocol === 'wss:' ? 443 : 80;
  return { host: url.hostname, port };
}
