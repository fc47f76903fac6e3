/**
 * The config object of each integration type, written from Losant's published
 * schema with its limits. Where that schema is loose we are strict: sqsConfig's
 * `min`/`max` are enforced as minLength/maxLength.
 */

const text = (minLength: number, maxLength: number) => ({ type: 'string', minLength, maxLength }) as const;
const pem = { type: 'string', minLength: 4, maxLength: 32767 } as const;

export const mqttConfig = {
  type: 'object',
  properties: {
    clientId: text(1, 1024),
    username: text(1, 1024),
    password: text(1, 1024),
    clean: { type: 'boolean' },
    port: { type: 'integer', minimum: 1, maximum: 65535 },
    protocol: { type: 'string', enum: ['mqtt', 'mqtts', 'ws', 'wss'] },
    host: text(1, 1024),
    privateKey: pem,
    certificate: pem,
    caCertificate: pem,
    disableSSLVerification: { type: 'boolean' },
    protocolVersion: { type: 'string', enum: ['3.1.1', '5'] },
  },
  additionalProperties: false,
  required: ['port', 'protocol', 'host'],
} as const;

export const websocketConfig = {
  type: 'object',
  properties: {
    url: text(1, 1024),
    disableSSLVerification: { type: 'boolean' },
    username: text(1, 1024),
    password: text(1, 1024),
    privateKey: pem,
    certificate: pem,
    caCertificate: pem,
    headers: {
      type: 'array',
      maxItems: 50,
      items: {
        type: 'object',
        properties: { headerKey: text(1, 1024), headerValue: text(1, 1024) },
        additionalProperties: false,
        required: ['headerKey', 'headerValue'],
      },
    },
  },
  additionalProperties: false,
  required: ['url'],
} as const;

export const particleConfig = {
  type: 'object',
  properties: {
    accessToken: text(1, 1024),
    productSlugOrId: text(1, 1024),
    orgSlugOrId: text(1, 1024),
    deviceNameOrId: text(1, 1024),
  },
  additionalProperties: false,
  required: ['accessToken'],
} as const;

export const sqsConfig = {
  type: 'object',
  properties: {
    accessKeyId: text(4, 128),
    secretAccessKey: text(4, 128),
    region: text(4, 128),
    queueUrl: text(1, 256),
  },
  additionalProperties: false,
  required: ['queueUrl'],
} as const;

export const googlePubSubConfig = {
  type: 'object',
  properties: {
    projectId: text(1, 255),
    keyJson: { type: 'string', minLength: 4, maxLength: 32767 },
  },
  additionalProperties: false,
} as const;

export const azureEventHubConfig = {
  type: 'object',
  properties: {
    hubName: text(1, 256),
    hostName: text(1, 256),
    consumerGroup: text(1, 256),
    connectionString: text(1, 1024),
  },
  additionalProperties: false,
  oneOf: [{ required: ['hubName', 'consumerGroup', 'connectionString'] }, { required: ['hubName', 'consumerGroup', 'hostName'] }],
  'x-message': 'must have hubName and consumerGroup, and exactly one of connectionString or hostName',
} as const;

export const configSchemas = { mqttConfig, websocketConfig, particleConfig, sqsConfig, googlePubSubConfig, azureEventHubConfig } as const;

/** The same shapes for responses: no validation keywords, every field declared so the serializer keeps it. */
function loosen(schema: { properties: Record<string, unknown> }) {
  return { type: 'object', properties: schema.properties } as const;
}

export const configResponseSchemas = Object.fromEntries(Object.entries(configSchemas).map(([key, schema]) => [key, loosen(schema)]));
