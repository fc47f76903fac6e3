import { INTEGRATION_STATES } from '../../domain/integration-status.js';
import { linkSchema } from '../../http/links.js';
import { configResponseSchemas, configSchemas } from './config-schemas.js';
import { CONFIG_KEYS, INTEGRATION_TYPES } from '../../domain/integration-types.js';
import { collectionSchema } from '../../http/common-schemas.js';

const topics = {
  type: 'array',
  maxItems: 1000,
  uniqueItems: true,
  items: { type: 'string', minLength: 1, maxLength: 1024 },
} as const;

/** POST also requires the config object of the integration's type. */
const requireConfigOfType = INTEGRATION_TYPES.map((type) => ({
  if: { properties: { integrationType: { const: type } }, required: ['integrationType'] },
  then: { required: [CONFIG_KEYS[type]] },
}));

export const integrationPost = {
  type: 'object',
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 255 },
    integrationType: { type: 'string', enum: INTEGRATION_TYPES },
    enabled: { type: 'boolean' },
    credentialName: { type: 'string', minLength: 1, maxLength: 255 },
    topics,
    ...configSchemas,
  },
  additionalProperties: false,
  required: ['name', 'integrationType'],
  allOf: requireConfigOfType,
} as const;

export const integrationPatch = {
  type: 'object',
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 255 },
    enabled: { type: 'boolean' },
    topics,
    credentialName: { oneOf: [{ type: 'string', minLength: 1, maxLength: 255 }, { type: 'null' }], 'x-message': 'must be a string of 1 to 255 characters, or null to clear it' },
    ...configSchemas,
  },
  additionalProperties: false,
} as const;

export interface IntegrationInput {
  name?: string;
  integrationType?: string;
  enabled?: boolean;
  credentialName?: string | null;
  topics?: string[];
  [configKey: string]: unknown;
}

const nullableNumber = { type: ['number', 'null'] } as const;

export const integrationStatus = {
  type: 'object',
  properties: {
    connectInfo: { type: 'object', properties: { ts: nullableNumber } },
    disconnectInfo: { type: 'object', properties: { ts: nullableNumber, error: { type: 'string' } } },
    lastKeepAlive: { type: 'number' },
    nextAttempt: { type: 'number' },
    state: { type: 'string', enum: INTEGRATION_STATES, description: 'connecting, connected, reconnecting (waiting for nextAttempt), disabled or unsupported' },
    node: { type: 'string', description: 'The cluster node holding the connection' },
  },
} as const;

export const integration = {
  $id: 'integration',
  type: 'object',
  properties: {
    id: { type: 'string' },
    integrationId: { type: 'string' },
    applicationId: { type: 'string' },
    creationDate: { type: 'string', format: 'date-time' },
    lastUpdated: { type: 'string', format: 'date-time' },
    name: { type: 'string' },
    credentialName: { type: 'string' },
    integrationType: { type: 'string', enum: INTEGRATION_TYPES },
    enabled: { type: 'boolean' },
    topics: { type: 'array', items: { type: 'string' } },
    ...configResponseSchemas,
    status: integrationStatus,
    _type: { type: 'string' },
    _links: linkSchema,
  },
} as const;

export const integrations = collectionSchema('integrations', 'integration', { applicationId: { type: 'string' } });
