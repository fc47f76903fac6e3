import type { FastifyInstance } from 'fastify';
import { linkSchema } from './links.js';

export const errorSchema = {
  $id: 'error',
  type: 'object',
  description: 'An error',
  properties: { type: { type: 'string' }, message: { type: 'string' } },
  required: ['type', 'message'],
} as const;

export const successSchema = {
  $id: 'success',
  type: 'object',
  properties: { success: { type: 'boolean', enum: [true] } },
  required: ['success'],
} as const;

const errorRef = { $ref: 'error#' } as const;

/** The error responses an endpoint documents, by status. */
export function errorResponses(...statuses: number[]) {
  return Object.fromEntries([400, 401, 403, ...statuses].map((s) => [s, errorRef]));
}

export function registerCommonSchemas(app: FastifyInstance): void {
  app.addSchema(errorSchema);
  app.addSchema(successSchema);
}

/**
 * A Losant collection response: the items, the counts, and the list
 * parameters echoed back, plus whatever owner fields the collection carries.
 */
export function collectionSchema<const Extra extends Record<string, unknown>>(id: string, itemId: string, extra: Extra) {
  return {
    $id: id,
    type: 'object',
    properties: {
      items: { type: 'array', items: { $ref: `${itemId}#` } },
      count: { type: 'integer' },
      totalCount: { type: 'integer' },
      perPage: { type: 'integer' },
      page: { type: 'integer' },
      filter: { type: 'string' },
      filterField: { type: 'string' },
      sortField: { type: 'string' },
      sortDirection: { type: 'string' },
      ...extra,
      _type: { type: 'string' },
      _links: linkSchema,
    },
  } as const;
}
