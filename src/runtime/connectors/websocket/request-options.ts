import type { SecureContext } from 'node:tls';
import type { ClientOptions } from 'ws';
import { checkLiteralHost, type OutboundPolicy } from '../outbound.js';
import { sharedSecureContext } from '../tls-contexts.js';
import type { IntegrationSpec, WebsocketConfig } from '../../../domain/integration-spec.js';

/** The integration's config; the API validated it against the type's schema before storing it. */
export function websocketConfig(spec: IntegrationSpec): WebsocketConfig {
  return spec.config as unknown as WebsocketConfig;
}

/**
 * The `ws` options for one connection attempt: the configured headers, HTTP
 * basic auth from username/password, and for wss:// the TLS material as a
 * shared SecureContext (see ../tls-contexts.ts). `ws` sets SNI from the
 * URL's host itself. Throws on invalid PEM material, and on an address the
 * outbound policy refuses.
 */
export function websocketRequestOptions(config: WebsocketConfig, url: URL, outbound?: OutboundPolicy): ClientOptions & { secureContext?: SecureContext } {
  // An IP literal never reaches DNS, so it is checked here; a name through the policy's lookup (ws hands it to http.request).
  checkLiteralHost(outbound, url.hostname);
  const headers: Record<string, string> = {};
  for (const { headerKey, headerValue } of config.headers ?? []) headers[headerKey] = headerValue;
  // An Authorization header the user wrote by hand is the more specific wish.
  if ((config.username || config.password) && !hasHeader(headers, 'authorization')) {
    const credentials = Buffer.from(`${config.username ?? ''}:${config.password ?? ''}`).toString('base64');
    headers.Authorization = `Basic ${credentials}`;
  }
  const options: ClientOptions & { secureContext?: SecureContext } = {
    headers,
    // A zlib context per connection costs far more memory than the bandwidth it saves here.
    perMessageDeflate: false,
    // A redirect would silently change the endpoint the integration names.
    followRedirects: false,
    ...(outbound ? { lookup: outbound.lookup } : {}),
  };
  if (url.protocol === 'wss:') {
    const withCertificate = Boolean(config.certificate && config.privateKey);
    options.secureContext = sharedSecureContext({
      ca: config.caCertificate || undefined,
      cert: withCertificate ? config.certificate : undefined,
      key: withCertificate ? config.privateKey : undefined,
    });
    options.rejectUnauthorized = config.disableSSLVerification !== true;
  }
  return options;
}

/**
 * The `topic` a WebSocket message is reported under: the URL's path, with its
 * query when it has one. An unparsable URL fails in connect() instead.
 */
export function messagePath(url: string): string {
  try {
    const parsed = new URL(url);
    return parsed.pathname + parsed.search;
  } catch {
    return '/';
  }
}

function hasHeader(headers: Readonly<Record<string, string>>, name: string): boolean {
  return Object.keys(headers).some((key) => key.toLowerCase() === name);
}
