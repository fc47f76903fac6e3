/** The integration types, the config object each one carries, and which of its fields are secrets. */

export const INTEGRATION_TYPES = ['azureEventHub', 'googlePubSub', 'mqtt', 'particle', 'sqs', 'websocket'] as const;
export type IntegrationType = (typeof INTEGRATION_TYPES)[number];

export const CONFIG_KEYS = {
  azureEventHub: 'azureEventHubConfig',
  googlePubSub: 'googlePubSubConfig',
  mqtt: 'mqttConfig',
  particle: 'particleConfig',
  sqs: 'sqsConfig',
  websocket: 'websocketConfig',
} as const satisfies Record<IntegrationType, string>;

export type ConfigKey = (typeof CONFIG_KEYS)[IntegrationType];
export const ALL_CONFIG_KEYS = Object.values(CONFIG_KEYS);

/**
 * Fields sealed at rest (AES-256-GCM) and returned in plain text to authorised
 * callers. A WebSocket URL can carry credentials in its userinfo and query
 * (`?token=…`) and any header can carry one (`Authorization`, an API key), so
 * the URL and the headers are sealed whole.
 */
export const SECRET_FIELDS: Record<IntegrationType, readonly string[]> = {
  azureEventHub: ['connectionString'],
  googlePubSub: ['keyJson'],
  mqtt: ['password', 'privateKey'],
  particle: ['accessToken'],
  sqs: ['secretAccessKey'],
  websocket: ['url', 'password', 'privateKey', 'headers'],
};

export function isIntegrationType(value: string): value is IntegrationType {
  return (INTEGRATION_TYPES as readonly string[]).includes(value);
}
