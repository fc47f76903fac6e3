import { linkSchema } from '../../http/links.js';
import { collectionSchema } from '../../http/common-schemas.js';

const globalItem = {
  type: 'object',
  properties: {
    key: { type: 'string', pattern: '^[0-9a-zA-Z_-]{1,255}$', 'x-message': 'must be 1 to 255 letters, digits, _ or -' },
    json: { type: 'string', minLength: 1, maxLength: 32767 },
    cloudOnly: { type: 'boolean', default: false },
    description: { type: 'string', maxLength: 1024 },
  },
  additionalProperties: false,
  required: ['key', 'json'],
} as const;

/** Application fields Tributary keeps besides name and description. */
const attributeFields = {
  endpointSlug: { type: 'string', minLength: 3, maxLength: 63, pattern: '^[0-9a-z-]*$', 'x-message': 'may contain only lowercase letters, digits and -' },
  expUserTokenCutoff: { type: 'string', format: 'date-time' },
  endpointDefaultCors: { type: 'boolean' },
  globals: { type: 'array', maxItems: 100, items: globalItem },
  blobUrlTTL: { type: 'number', minimum: 3600, maximum: 604800 },
} as const;

export const ATTRIBUTE_NAMES = Object.keys(attributeFields) as (keyof typeof attributeFields)[];

export const applicationPost = {
  $id: 'applicationPost',
  type: 'object',
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 255 },
    description: { type: 'string', maxLength: 1024 },
    ...attributeFields,
  },
  additionalProperties: false,
  required: ['name'],
} as const;

export const applicationPatch = {
  $id: 'applicationPatch',
  type: 'object',
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 255 },
    description: { type: 'string', maxLength: 1024 },
    ...attributeFields,
  },
  additionalProperties: false,
} as const;

export interface ApplicationInput {
  name?: string;
  description?: string;
  [attribute: string]: unknown;
}

const globalOut = { ...globalItem, additionalProperties: true } as const;

export const application = {
  $id: 'application',
  type: 'object',
  properties: {
    id: { type: 'string' },
    applicationId: { type: 'string' },
    creationDate: { type: 'string', format: 'date-time' },
    lastUpdated: { type: 'string', format: 'date-time' },
    ownerId: { type: 'string' },
    ownerType: { type: 'string', enum: ['user', 'organization'] },
    name: { type: 'string' },
    description: { type: 'string' },
    endpointSlug: { type: 'string' },
    expUserTokenCutoff: { type: 'string' },
    endpointDefaultCors: { type: 'boolean' },
    globals: { type: 'array', items: globalOut },
    blobUrlTTL: { type: 'number' },
    summary: {
      type: 'object',
      properties: { integrationCount: { type: 'integer' }, apiTokenCount: { type: 'integer' } },
    },
    _type: { type: 'string' },
    _links: linkSchema,
  },
} as const;

export const applications = collectionSchema('applications', 'application', {});
