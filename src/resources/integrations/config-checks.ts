import { createPrivateKey, X509Certificate } from 'node:crypto';
import net from 'node:net';
import { ValidationError } from '../../errors.js';
import { validateTopicFilter } from '../../lib/mqtt-topics.js';
import { CONFIG_KEYS, type IntegrationType } from '../../domain/integration-types.js';
import type { OutboundPolicy } from '../../runtime/connectors/outbound.js';

/**
 * Checks the schema cannot express: parseable PEM, a host that is a host and
 * not a URL, a ws(s) URL, header names HTTP accepts, well-formed MQTT topic
 * filters, no IP address the outbound policy refuses. Bad values are refused with a 400 here rather than failing later
 * as a connection error nobody asked for.
 */
export function checkConfig(type: IntegrationType, config: Record<string, unknown>, topics: readonly string[], outbound?: OutboundPolicy): void {
  const key = CONFIG_KEYS[type];
  checkPem(key, config);
  // A denied IP literal would only fail at every connection attempt (SPEC §10: it is a 400); names are checked when resolved.
  const refuse = (field: string, host: string) => {
    const why = outbound?.literalRefusal(host);
    if (why) throw new ValidationError(`${key}.${field}: ${why}`);
  };
  if (type === 'mqtt') {
    const host = String(config.host);
    if (/\s/.test(host) || host.includes('/') || (host.includes(':') && !net.isIPv6(host.replace(/^\[|\]$/g, '')))) {
      throw new ValidationError(`${key}.host must be a host name or IP address (put the port in ${key}.port, not in the host)`);
    }
    refuse('host', host);
    topics.forEach((topic, i) => {
      const problem = validateTopicFilter(topic);
      if (problem) throw new ValidationError(`topics[${i}] is not a valid MQTT topic filter: ${problem}`);
    });
  }
  if (type === 'sqs') {
    let url: URL;
    try {
      url = new URL(String(config.queueUrl));
    } catch {
      throw new ValidationError(`${key}.queueUrl must be a URL such as https://sqs.us-east-1.amazonaws.com/123456789012/my-queue`);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new ValidationError(`${key}.queueUrl must start with https:// or http://`);
    refuse('queueUrl', url.hostname);
  }
  if (type === 'azureEventHub') {
    const endpoint = /(?:^|;)\s*Endpoint\s*=\s*[a-z]+:\/\/\[?([^/;:\]]+)/i.exec(typeof config.connectionString === 'string' ? config.connectionString : '')?.[1];
    if (endpoint !== undefined) refuse('connectionString', endpoint);
    if (typeof config.hostName === 'string') refuse('hostName', config.hostName);
  }
  if (type === 'websocket') {
    let url: URL;
    try {
      url = new URL(String(config.url));
    } catch {
      throw new ValidationError(`${key}.url must be a URL such as wss://example.com/stream`);
    }
    if (url.protocol !== 'ws:' && url.protocol !== 'wss:') throw new ValidationError(`${key}.url must start with ws:// or wss://`);
    refuse('url', url.hostname);
    const headers = (config.headers ?? []) as { headerKey: string; headerValue: string }[];
    headers.forEach((h, i) => {
      if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(h.headerKey)) throw new ValidationError(`${key}.headers[${i}].headerKey is not a valid HTTP header name`);
      if (/[\r\n\0]/.test(h.headerValue)) throw new ValidationError(`${key}.headers[${i}].headerValue must not contain line breaks`);
    });
  }
}

function checkPem(key: string, config: Record<string, unknown>): void {
  const { privateKey, certificate, caCertificate } = config as Record<string, string | undefined>;
  if (privateKey !== undefined) {
    try {
      createPrivateKey(privateKey);
    } catch {
      throw new ValidationError(`${key}.privateKey is not a PEM private key`);
    }
  }
  for (const [field, value] of [['certificate', certificate], ['caCertificate', caCertificate]] as const) {
    if (value === undefined) continue;
    try {
      new X509Certificate(value);
    } catch {
      throw new ValidationError(`${key}.${field} is not a PEM certificate`);
    }
  }
  if ((privateKey === undefined) !== (certificate === undefined)) {
    throw new ValidationError(`${key}.certificate and ${key}.privateKey must be given together`);
  }
}
