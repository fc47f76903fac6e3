import type { IntegrationSpec } from '../../domain/integration-spec.js';
import type { ConnectorOptions } from '../connector.js';
import { DEFAULT_PARTICLE_API_URL } from './particle/config.js';

/**
 * The service an integration connects to, as a key (`host:port`): the
 * integrations that share it go down and come back together, so once one of
 * them reaches it again the others need not wait out their own backoff (see
 * ../endpoint-recovery.ts). A config this cannot read keys by the
 * integration's own id, which groups it with nothing.
 */
export function endpointOf(spec: IntegrationSpec, options: Pick<ConnectorOptions, 'particleApiUrl'> = {}): string {
  try {
    return endpointFor(spec, options) ?? spec.id;
  } catch {
    return spec.id;
  }
}

const DEFAULT_PORTS: Readonly<Record<string, number>> = { 'mqtt:': 1883, 'mqtts:': 8883, 'ws:': 80, 'wss:': 443, 'http:': 80, 'https:': 443, 'sb:': 5671, 'amqp:': 5672, 'amqps:': 5671 };
/** Every Pub/Sub integration talks to the same service (or the same emulator, PUBSUB_EMULATOR_HOST). */
const PUB_SUB = 'pubsub.googleapis.com:443';
/** Event Hubs speaks AMQP over TLS; the emulator plain AMQP. */
const AMQPS_PORT = 5671;
const AMQP_PORT = 5672;

function endpointFor(spec: IntegrationSpec, options: Pick<ConnectorOptions, 'particleApiUrl'>): string | undefined {
  const config = spec.config;
  switch (spec.integrationType) {
    case 'mqtt': {
      const host = text(config.host);
      const port = typeof config.port === 'number' ? config.port : DEFAULT_PORTS[`${text(config.protocol) ?? 'mqtt'}:`];
      return host === undefined || port === undefined ? undefined : `${host.toLowerCase()}:${port}`;
    }
    case 'websocket':
      return urlEndpoint(text(config.url));
    case 'particle':
      return urlEndpoint(options.particleApiUrl ?? DEFAULT_PARTICLE_API_URL);
    case 'sqs':
      return urlEndpoint(text(config.queueUrl));
    case 'googlePubSub':
      return PUB_SUB;
    case 'azureEventHub':
      return eventHubEndpoint(text(config.connectionString), text(config.hostName));
    default:
      return undefined;
  }
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** `host:port` of a URL, its scheme's port when it names none. */
function urlEndpoint(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  const url = new URL(raw);
  const port = url.port === '' ? DEFAULT_PORTS[url.protocol] : Number(url.port);
  return url.hostname === '' || port === undefined ? undefined : `${url.hostname}:${port}`;
}

/** `Endpoint=sb://<host>/;…` of the connection string, else `hostName`. */
function eventHubEndpoint(connectionString: string | undefined, hostName: string | undefined): string | undefined {
  if (connectionString !== undefined) {
    const fields = new Map(
      connectionString
        .split(';')
        .map((part) => part.split(/=(.*)/s, 2) as [string, string?])
        .map(([key, value]) => [key.trim().toLowerCase(), (value ?? '').trim()]),
    );
    const endpoint = fields.get('endpoint');
    if (endpoint) {
      const url = new URL(endpoint);
      const emulator = fields.get('usedevelopmentemulator')?.toLowerCase() === 'true';
      const port = url.port === '' ? (emulator ? AMQP_PORT : AMQPS_PORT) : Number(url.port);
      return `${url.hostname}:${port}`;
    }
  }
  return hostName === undefined ? undefined : `${hostName.toLowerCase()}:${AMQPS_PORT}`;
}
