import { linkSchema } from '../../http/links.js';
import { APPLICATION_SCOPE_PATTERN } from '../../security/scopes.js';
import { collectionSchema } from '../../http/common-schemas.js';

export const tokenPost = {
  type: 'object',
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 255 },
    description: { type: 'string', maxLength: 32767 },
    expirationDate: { type: 'string', format: 'date-time' },
    scope: {
      type: 'array',
      uniqueItems: true,
      maxItems: 500,
      items: {
        type: 'string',
        maxLength: 1024,
        pattern: APPLICATION_SCOPE_PATTERN,
        'x-message': 'is not an application scope (e.g. all.Application, all.Application.read, integrations.*, integration.get)',
      },
    },
    status: { type: 'string', enum: ['active', 'inactive'] },
  },
  additionalProperties: false,
  required: ['name'],
} as const;

export const tokenPatch = {
  type: 'object',
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 255 },
    description: { type: 'string', maxLength: 32767 },
    status: { type: 'string', enum: ['active', 'inactive'] },
  },
  additionalProperties: false,
} as const;

export interface TokenInput {
  name?: string;
  description?: string;
  expirationDate?: string;
  scope?: string[];
  status?: 'active' | 'inactive';
}

export const apiToken = {
  $id: 'apiToken',
  type: 'object',
  properties: {
    id: { type: 'string' },
    apiTokenId: { type: 'string' },
    ownerId: { type: 'string' },
    ownerType: { type: 'string', enum: ['application', 'user'] },
    creatorId: { type: 'string' },
    creatorType: { type: 'string', enum: ['apiToken', 'user', 'flow'] },
    creatorName: { type: 'string' },
    name: { type: 'string' },
    description: { type: 'string' },
    creationDate: { type: 'string', format: 'date-time' },
    lastUpdated: { type: 'string', format: 'date-time' },
    expirationDate: { type: 'string', format: 'date-time' },
    scope: { type: 'array', items: { type: 'string' } },
    status: { type: 'string', enum: ['active', 'inactive'] },
    token: { type: 'string', description: 'The token string; returned only by the create call' },
    _type: { type: 'string' },
    _links: linkSchema,
  },
} as const;

export const apiTokens = collectionSchema('apiTokens', 'apiToken', { ownerId: { type: 'string' }, ownerType: { type: 'string' } });
