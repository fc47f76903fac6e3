import type { FastifyInstance } from 'fastify';

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
