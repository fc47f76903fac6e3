import { STATUS_CODES } from 'node:http';
import { describeSocketError, describeUnknownError } from '../socket-reasons.js';
import type { Target } from '../socket-reasons.js';

/** Why a Particle call failed, as one sentence for `disconnectInfo.error`. */

export const STREAM_ENDED = 'The event stream was closed by Particle';
export const KEEPALIVE_TIMEOUT = 'Keepalive timeout';

/** The JSON bodies Particle answers errors with: OAuth's `{error, error_description}` or the API's `{ok: false, error, info}`. */
interface ParticleErrorBody {
  error?: unknown;
  error_description?: unknown;
  info?: unknown;
}

/**
 * A refusal, in Particle's own words when its body has them
 * ("The access token provided is invalid. (HTTP 401 invalid_token)").
 */
export function describeParticleResponse(status: number, body: string): string {
  let parsed: ParticleErrorBody | undefined;
  try {
    const value: unknown = JSON.parse(body);
    if (typeof value === 'object' && value !== null) parsed = value;
  } catch {
    parsed = undefined;
  }
  const code = typeof parsed?.error === 'string' ? parsed.error : undefined;
  const description = [parsed?.error_description, parsed?.info].find((text): text is string => typeof text === 'string' && text !== '');
  if (description) return code && code !== description ? `${description} (HTTP ${status} ${code})` : `${description} (HTTP ${status})`;
  if (code) return `${code} (HTTP ${status})`;
  return `Particle answered HTTP ${status} ${STATUS_CODES[status] ?? ''}`.trimEnd();
}

/** A request that got no answer: socket, DNS and TLS errors read as for every connector. */
export function describeParticleError(error: unknown, target: Target): string {
  return describeSocketError(error, 'server', target) ?? describeUnknownError(error);
}

export function targetOf(url: URL): Target {
  return { host: url.hostname, port: url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80 };
}
