import { commonQueryProperties } from '../../http/query.js';
import { integrationStatus } from '../integrations/schemas.js';

export const statusStreamQuery = {
  type: 'object',
  properties: {
    ...commonQueryProperties,
    keepAliveInterval: { type: 'integer', minimum: 1, maximum: 600, default: 2, description: 'Seconds between keep-alive comment lines' },
  },
} as const;

export interface StatusStreamQuery {
  keepAliveInterval: number;
}

/** The data of one `integrationStatus` event. */
export const integrationStatusEvent = {
  type: 'object',
  properties: {
    integrationId: { type: 'string' },
    status: integrationStatus,
  },
  required: ['integrationId', 'status'],
} as const;
