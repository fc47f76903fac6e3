import { createHmac, timingSafeEqual } from 'node:crypto';

/** A put-token refusal, worded as the service words it. */
export interface TokenRefusal {
  readonly status: number;
  readonly description: string;
}

export interface SharedAccessKey {
  readonly name: string;
  readonly key: string;
}

/**
 * Checks a `SharedAccessSignature sr=…&sig=…&se=…&skn=…` token the way the
 * service does: the key named by skn must exist, the HMAC-SHA256 of
 * `<sr as sent, URL-encoded>\n<se>` under that key (the key string's own
 * bytes, as the SDKs use it) must equal sig, se must be in the future, and sr
 * must cover the audience the token is put for. Returns the audience granted,
 * or the refusal.
 */
export function checkSasToken(token: unknown, audience: string, keys: readonly SharedAccessKey[], now = Date.now()): string | TokenRefusal {
  if (typeof token !== 'string' || !token.startsWith('SharedAccessSignature ')) {
    return { status: 401, description: 'InvalidSignature: The token has an invalid format.' };
  }
  const fields = new Map<string, string>();
  for (const part of token.slice('SharedAccessSignature '.length).split('&')) {
    const equals = part.indexOf('=');
    if (equals > 0) fields.set(part.slice(0, equals), part.slice(equals + 1));
  }
  const sr = fields.get('sr');
  const sig = fields.get('sig');
  const se = fields.get('se');
  const skn = fields.get('skn');
  if (sr === undefined || sig === undefined || se === undefined || skn === undefined) {
    return { status: 401, description: 'InvalidSignature: The token has an invalid format.' };
  }
  const key = keys.find((candidate) => candidate.name === decodeURIComponent(skn));
  if (key === undefined) {
    return { status: 401, description: `Unauthorized: The shared access key '${decodeURIComponent(skn)}' was not found.` };
  }
  const expected = createHmac('sha256', key.key).update(`${sr}\n${se}`).digest();
  const given = Buffer.from(decodeURIComponent(sig), 'base64');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { status: 401, description: 'InvalidSignature: The token has an invalid signature.' };
  }
  if (Number(se) * 1000 <= now) {
    return { status: 401, description: `ExpiredToken: The token is expired. Expiration time: '${new Date(Number(se) * 1000).toISOString()}'.` };
  }
  const resource = normalise(decodeURIComponent(sr));
  if (!normalise(audience).startsWith(resource)) {
    return { status: 401, description: `InvalidAudience: The token audience '${decodeURIComponent(sr)}' does not match '${audience}'.` };
  }
  return resource;
}

/** Compares resource URIs without case, scheme or trailing slash, as the service does. */
export function normalise(uri: string): string {
  return uri.replace(/^[a-z]+:\/\//i, '').replace(/\/+$/, '').toLowerCase();
}
