import type { IntegrationType } from './types';

/**
 * The config fields of each integration type, as the API's schemas define
 * them (src/resources/integrations/config-schemas.ts). The API validates;
 * these only decide which input shows each field.
 */

export type FieldKind = 'text' | 'secret' | 'number' | 'select' | 'checkbox' | 'pem' | 'headers';

export interface FieldSpec {
  readonly name: string;
  readonly label: string;
  readonly kind: FieldKind;
  readonly required?: boolean;
  readonly options?: readonly string[];
  readonly hint?: string;
  /** What the server assumes when the field is left out (checkboxes start from it). */
  readonly defaultValue?: boolean;
}

const tls: FieldSpec[] = [
  { name: 'caCertificate', label: 'CA certificate (PEM)', kind: 'pem' },
  { name: 'certificate', label: 'Client certificate (PEM)', kind: 'pem' },
  { name: 'privateKey', label: 'Client private key (PEM)', kind: 'pem' },
  { name: 'disableSSLVerification', label: 'Disable TLS verification', kind: 'checkbox' },
];

export const CONFIG_FIELDS: Record<IntegrationType, readonly FieldSpec[]> = {
  mqtt: [
    { name: 'host', label: 'Host', kind: 'text', required: true },
    { name: 'port', label: 'Port', kind: 'number', required: true },
    { name: 'protocol', label: 'Protocol', kind: 'select', required: true, options: ['mqtt', 'mqtts', 'ws', 'wss'] },
    { name: 'protocolVersion', label: 'Protocol version', kind: 'select', options: ['3.1.1', '5'] },
    { name: 'clientId', label: 'Client id', kind: 'text', hint: 'A stable one is generated when empty' },
    { name: 'username', label: 'Username', kind: 'text' },
    { name: 'password', label: 'Password', kind: 'secret' },
    { name: 'clean', label: 'Clean session', kind: 'checkbox', defaultValue: true },
    ...tls,
  ],
  websocket: [
    { name: 'url', label: 'URL', kind: 'text', required: true, hint: 'ws:// or wss://' },
    { name: 'username', label: 'Username', kind: 'text' },
    { name: 'password', label: 'Password', kind: 'secret' },
    { name: 'headers', label: 'Headers', kind: 'headers', hint: 'One "Name: value" per line' },
    ...tls,
  ],
  particle: [
    { name: 'accessToken', label: 'Access token', kind: 'secret', required: true },
    { name: 'deviceNameOrId', label: 'Device name or id', kind: 'text' },
    { name: 'productSlugOrId', label: 'Product slug or id', kind: 'text' },
    { name: 'orgSlugOrId', label: 'Organization slug or id', kind: 'text' },
  ],
  sqs: [
    { name: 'queueUrl', label: 'Queue URL', kind: 'text', required: true },
    { name: 'region', label: 'Region', kind: 'text' },
    { name: 'accessKeyId', label: 'Access key id', kind: 'text' },
    { name: 'secretAccessKey', label: 'Secret access key', kind: 'secret' },
  ],
  googlePubSub: [
    { name: 'projectId', label: 'Project id', kind: 'text' },
    { name: 'keyJson', label: 'Service account key (JSON)', kind: 'pem' },
  ],
  azureEventHub: [
    { name: 'hubName', label: 'Event hub name', kind: 'text', required: true },
    { name: 'consumerGroup', label: 'Consumer group', kind: 'text', required: true },
    { name: 'connectionString', label: 'Connection string', kind: 'secret', hint: 'Or a host name below' },
    { name: 'hostName', label: 'Host name', kind: 'text' },
  ],
};

export const TYPE_LABELS: Record<IntegrationType, string> = {
  mqtt: 'MQTT',
  websocket: 'WebSocket',
  particle: 'Particle',
  sqs: 'Amazon SQS',
  googlePubSub: 'Google Pub/Sub',
  azureEventHub: 'Azure Event Hubs',
};

export const configKey = (type: IntegrationType): `${IntegrationType}Config` => `${type}Config`;

/** "Name: value" lines ↔ the API's `[{ headerKey, headerValue }]`. */
export function parseHeaders(text: string): { headerKey: string; headerValue: string }[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const colon = line.indexOf(':');
      return colon < 0 ? { headerKey: line.trim(), headerValue: '' } : { headerKey: line.slice(0, colon).trim(), headerValue: line.slice(colon + 1).trim() };
    });
}

export function formatHeaders(value: unknown): string {
  if (!Array.isArray(value)) return '';
  return (value as { headerKey?: unknown; headerValue?: unknown }[]).map((h) => `${String(h.headerKey)}: ${String(h.headerValue)}`).join('\n');
}
