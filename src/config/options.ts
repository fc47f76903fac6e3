import { isIP } from 'node:net';

/**
 * Every setting of the server, in one table: its environment variable, its
 * command-line flag, its default and how to read it. `loadConfig` and the CLI's
 * `--help` are both generated from this table, so they cannot drift apart.
 */

export type Parser<T> = (raw: string) => T;

export interface OptionSpec<T> {
  readonly env: string;
  readonly flag: string;
  readonly description: string;
  readonly default: T;
  readonly parse: Parser<T>;
  /** Hidden from logs and --help defaults. */
  readonly secret?: boolean;
}

class OptionError extends Error {}
export { OptionError };

function integer(min: number, max: number): Parser<number> {
  return (raw) => {
    if (!/^-?\d+$/.test(raw.trim())) throw new OptionError(`must be a whole number, got "${raw}"`);
    const value = Number(raw);
    if (value < min || value > max) throw new OptionError(`must be between ${min} and ${max}, got ${value}`);
    return value;
  };
}

function oneOf<T extends string>(values: readonly T[]): Parser<T> {
  return (raw) => {
    const value = raw.trim() as T;
    if (!values.includes(value)) throw new OptionError(`must be one of ${values.join(', ')}, got "${raw}"`);
    return value;
  };
}

const boolean: Parser<boolean> = (raw) => {
  const value = raw.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(value)) return true;
  if (['0', 'false', 'no', 'off', ''].includes(value)) return false;
  throw new OptionError(`must be true or false, got "${raw}"`);
};

const text: Parser<string> = (raw) => raw;

const host: Parser<string> = (raw) => {
  const value = raw.trim();
  if (value === '' || /\s/.test(value)) throw new OptionError(`must be a host name or address, got "${raw}"`);
  return value;
};

const databaseUrl: Parser<string | undefined> = (raw) => {
  if (raw === '') return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new OptionError('must be a URL such as postgres://user@127.0.0.1:5432/tributary');
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new OptionError(`must start with postgres:// or postgresql://, got "${url.protocol}//"`);
  }
  return raw;
};

const schemaName: Parser<string> = (raw) => {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(raw)) {
    throw new OptionError(`must be a lowercase SQL identifier (letters, digits, _), got "${raw}"`);
  }
  return raw;
};

const secretKey: Parser<Buffer | undefined> = (raw) => {
  if (raw === '') return undefined;
  const value = raw.trim();
  if (/^[0-9a-fA-F]{64}$/.test(value)) return Buffer.from(value, 'hex');
  const decoded = Buffer.from(value, 'base64');
  if (decoded.length === 32 && /^[A-Za-z0-9+/=_-]+$/.test(value)) return decoded;
  throw new OptionError('must be 32 bytes, written as 64 hex characters or in base64 (try: openssl rand -hex 32)');
};

const email: Parser<string | undefined> = (raw) => {
  if (raw === '') return undefined;
  if (!/^[^\s@]+@[^\s@]+$/.test(raw) || raw.length > 1024) throw new OptionError(`must be an email address, got "${raw}"`);
  return raw;
};

const adminPassword: Parser<string | undefined> = (raw) => {
  if (raw === '') return undefined;
  if (raw.length < 8 || raw.length > 2048) throw new OptionError('must be 8 to 2048 characters long');
  return raw;
};

/** A comma-separated list of CIDR blocks (`169.254.0.0/16,fe80::/10`); an empty string is an empty list. */
export interface Cidr {
  readonly address: string;
  readonly prefix: number;
  readonly family: 'ipv4' | 'ipv6';
}

const cidrList: Parser<readonly Cidr[]> = (raw) => {
  const blocks: Cidr[] = [];
  for (const part of raw.split(',').map((p) => p.trim()).filter((p) => p !== '')) {
    const [address = '', bits, extra] = part.split('/');
    const family = isIP(address);
    const prefix = bits === undefined ? (family === 6 ? 128 : 32) : Number(bits);
    const max = family === 6 ? 128 : 32;
    if (family === 0 || extra !== undefined || !Number.isInteger(prefix) || prefix < 0 || prefix > max || (bits !== undefined && !/^\d+$/.test(bits))) {
      throw new OptionError(`must be a comma-separated list of CIDR blocks such as 169.254.0.0/16,fe80::/10, got "${part}"`);
    }
    blocks.push({ address, prefix, family: family === 6 ? 'ipv6' : 'ipv4' });
  }
  return Object.freeze(blocks);
};

/** Comma-separated origins (`https://ops.example.com`), each a scheme, host and optional port. */
const originList: Parser<readonly string[]> = (raw) => {
  const origins: string[] = [];
  for (const part of raw.split(',').map((p) => p.trim()).filter((p) => p !== '')) {
    let url: URL;
    try {
      url = new URL(part);
    } catch {
      throw new OptionError(`must be a comma-separated list of origins such as https://ops.example.com, got "${part}"`);
    }
    if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.origin !== part.replace(/\/$/, '')) {
      throw new OptionError(`must list origins only (scheme, host and port, no path), got "${part}"`);
    }
    origins.push(url.origin);
  }
  return Object.freeze(origins);
};

const httpUrl: Parser<string> = (raw) => {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new OptionError(`must be an http:// or https:// URL, got "${raw}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new OptionError(`must be an http:// or https:// URL, got "${raw}"`);
  return url.toString().replace(/\/$/, '');
};

const optionalHttpUrl: Parser<string | undefined> = (raw) => (raw.trim() === '' ? undefined : httpUrl(raw));

const nodeId: Parser<string | undefined> = (raw) => {
  if (raw === '') return undefined;
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(raw)) throw new OptionError(`must be 1 to 64 letters, digits, dots, dashes or underscores, got "${raw}"`);
  return raw;
};

const optionalText: Parser<string | undefined> = (raw) => (raw === '' ? undefined : raw);

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export const options = {
  host: { env: 'HOST', flag: '--host <host>', description: 'address to listen on', default: '127.0.0.1', parse: host },
  port: { env: 'PORT', flag: '--port <port>', description: 'port to listen on (0 picks a free one)', default: 3000, parse: integer(0, 65535) },
  dataDir: { env: 'DATA_DIR', flag: '--data-dir <dir>', description: 'directory for the SQLite database and generated keys', default: './data', parse: text },
  databaseUrl: { env: 'DATABASE_URL', flag: '--database-url <url>', description: 'postgres:// URL; when set, PostgreSQL is used instead of SQLite', default: undefined, parse: databaseUrl, secret: true },
  databaseSchema: { env: 'DATABASE_SCHEMA', flag: '--database-schema <name>', description: 'PostgreSQL schema to keep the tables in (created if missing)', default: 'public', parse: schemaName },
  secretKey: { env: 'TRIBUTARY_SECRET_KEY', flag: '--secret-key <key>', description: 'AES-256 key for secrets at rest (64 hex chars or base64); generated into DATA_DIR when unset', default: undefined, parse: secretKey, secret: true },
  adminEmail: { env: 'TRIBUTARY_ADMIN_EMAIL', flag: '--admin-email <email>', description: 'email of the user created on first start', default: undefined, parse: email },
  adminPassword: { env: 'TRIBUTARY_ADMIN_PASSWORD', flag: '--admin-password <password>', description: 'password of the user created on first start (printed once when unset)', default: undefined, parse: adminPassword, secret: true },
  logLevel: { env: 'LOG_LEVEL', flag: '--log-level <level>', description: `log level: ${LOG_LEVELS.join(', ')}`, default: 'info', parse: oneOf(LOG_LEVELS) },
  bodyLimit: { env: 'BODY_LIMIT', flag: '--body-limit <bytes>', description: 'largest accepted request body, in bytes', default: 1_048_576, parse: integer(1024, 100 * 1_048_576) },
  trustProxy: { env: 'TRUST_PROXY', flag: '--trust-proxy <bool>', description: 'take the client address from X-Forwarded-For', default: false, parse: boolean },
  userTokenTtl: { env: 'USER_TOKEN_TTL', flag: '--user-token-ttl <seconds>', description: 'lifetime of tokens from POST /auth/user', default: 30 * 24 * 3600, parse: integer(60, 10 * 365 * 24 * 3600) },
  loginRateLimit: { env: 'LOGIN_RATE_LIMIT', flag: '--login-rate-limit <n>', description: 'login attempts allowed per email and client address per minute', default: 10, parse: integer(1, 100_000) },
  rateLimitMax: { env: 'RATE_LIMIT_MAX', flag: '--rate-limit-max <n>', description: 'requests allowed per token per window; 0 turns rate limiting off', default: 0, parse: integer(0, 100_000_000) },
  rateLimitWindow: { env: 'RATE_LIMIT_WINDOW', flag: '--rate-limit-window <ms>', description: 'rate limit window, in milliseconds', default: 60_000, parse: integer(1000, 24 * 3600 * 1000) },
  reconnectBase: { env: 'RECONNECT_BASE_MS', flag: '--reconnect-base <ms>', description: 'first reconnect delay ceiling (full jitter), in milliseconds', default: 1000, parse: integer(10, 3_600_000) },
  reconnectMax: { env: 'RECONNECT_MAX_MS', flag: '--reconnect-max <ms>', description: 'reconnect delay cap, in milliseconds', default: 60_000, parse: integer(10, 24 * 3_600_000) },
  reconnectReset: { env: 'RECONNECT_RESET_MS', flag: '--reconnect-reset <ms>', description: 'how long a connection must stay up before the backoff resets', default: 30_000, parse: integer(0, 24 * 3_600_000) },
  connectRate: { env: 'CONNECT_RATE', flag: '--connect-rate <n>', description: 'connection attempts started per second, across all integrations', default: 1000, parse: integer(1, 1_000_000) },
  connectTimeout: { env: 'CONNECT_TIMEOUT_MS', flag: '--connect-timeout <ms>', description: 'time allowed for one connection attempt', default: 10_000, parse: integer(100, 600_000) },
  keepalive: { env: 'KEEPALIVE_SECONDS', flag: '--keepalive <seconds>', description: 'MQTT keepalive and WebSocket ping interval', default: 30, parse: integer(1, 65535) },
  sseBuffer: { env: 'SSE_BUFFER', flag: '--sse-buffer <events>', description: 'events buffered per slow stream client before the oldest are dropped', default: 1000, parse: integer(1, 1_000_000) },
  eventsPerIntegration: { env: 'EVENTS_PER_INTEGRATION', flag: '--events-per-integration <n>', description: 'connection events kept per integration', default: 100, parse: integer(1, 100_000) },
  requestTimeout: { env: 'REQUEST_TIMEOUT_MS', flag: '--request-timeout <ms>', description: 'time allowed for a whole request (streams excepted); 408 beyond', default: 30_000, parse: integer(1000, 3_600_000) },
  dbTimeout: { env: 'DB_TIMEOUT_MS', flag: '--db-timeout <ms>', description: 'longest a database query may take; 503 beyond', default: 5000, parse: integer(100, 600_000) },
  streamsPerToken: { env: 'STREAMS_PER_TOKEN', flag: '--streams-per-token <n>', description: 'open streams allowed per token; 429 beyond', default: 100, parse: integer(1, 1_000_000) },
  userTokenTtlMax: { env: 'USER_TOKEN_TTL_MAX', flag: '--user-token-ttl-max <seconds>', description: 'longest lifetime a user token may be given (USER_TOKEN_TTL and a requested tokenTTL are capped to it)', default: 30 * 24 * 3600, parse: integer(60, 10 * 365 * 24 * 3600) },
  corsOrigins: { env: 'CORS_ORIGINS', flag: '--cors-origins <origins>', description: 'comma-separated origins allowed to call the API from a browser', default: Object.freeze([]), parse: originList },
  outboundDeny: { env: 'OUTBOUND_DENY', flag: '--outbound-deny <cidrs>', description: 'CIDR blocks integrations may never connect to', default: cidrList('169.254.0.0/16,fe80::/10'), parse: cidrList },
  outboundAllow: { env: 'OUTBOUND_ALLOW', flag: '--outbound-allow <cidrs>', description: 'when set, the only CIDR blocks integrations may connect to', default: Object.freeze([]), parse: cidrList },
  messageRetentionCount: { env: 'MESSAGE_RETENTION_COUNT', flag: '--message-retention-count <n>', description: 'messages kept per integration; 0 turns retention off', default: 1000, parse: integer(0, 10_000_000) },
  messageRetentionSeconds: { env: 'MESSAGE_RETENTION_SECONDS', flag: '--message-retention-seconds <s>', description: 'oldest message kept, in seconds; 0 turns retention off', default: 86_400, parse: integer(0, 10 * 365 * 24 * 3600) },
  metricsToken: { env: 'METRICS_TOKEN', flag: '--metrics-token <token>', description: 'when set, GET /metrics requires Authorization: Bearer <token>', default: undefined, parse: optionalText, secret: true },
  metricsPerIntegration: { env: 'METRICS_PER_INTEGRATION', flag: '--metrics-per-integration <bool>', description: 'export per-integration series (turn off for very large installations)', default: true, parse: boolean },
  nodeId: { env: 'NODE_ID', flag: '--node-id <id>', description: 'this node\'s id in a cluster (generated at start when unset)', default: undefined, parse: nodeId },
  nodeUrl: { env: 'NODE_URL', flag: '--node-url <url>', description: 'the address other nodes reach this one at (default http://HOST:PORT)', default: undefined, parse: optionalHttpUrl },
  leaseSeconds: { env: 'LEASE_SECONDS', flag: '--lease-seconds <s>', description: 'how long a node holds its integrations without renewing its lease', default: 10, parse: integer(3, 600) },
  particleApiUrl: { env: 'PARTICLE_API_URL', flag: '--particle-api-url <url>', description: 'base URL of the Particle API', default: 'https://api.particle.io', parse: httpUrl },
} satisfies Record<string, OptionSpec<unknown>>;

export type OptionName = keyof typeof options;
export const optionNames = Object.keys(options) as OptionName[];
