import { commonQueryProperties } from '../../http/query.js';
import { collectionSchema } from '../../http/common-schemas.js';

export const streamQuery = {
  type: 'object',
  properties: {
    ...commonQueryProperties,
    keepAliveInterval: { type: 'integer', minimum: 1, maximum: 600, default: 2, description: 'Seconds between keep-alive comment lines' },
  },
} as const;

export interface StreamQuery {
  keepAliveInterval: number;
}

export const publishBody = {
  type: 'object',
  properties: {
    topic: { type: 'string', minLength: 1, maxLength: 65535, description: 'MQTT topic to publish to (required for MQTT; ignored for WebSocket)' },
    message: { type: 'string', description: 'The payload: text, or base64 when encoding is "base64"' },
    qos: { type: 'integer', enum: [0, 1, 2], default: 1, description: 'MQTT QoS; the call answers once the broker acknowledged it' },
    retain: { type: 'boolean', default: false },
    encoding: { type: 'string', enum: ['utf8', 'base64'], default: 'utf8', description: 'How message is encoded; base64 sends raw bytes (a binary frame for WebSocket)' },
  },
  additionalProperties: false,
  required: ['message'],
} as const;

export interface PublishBody {
  topic?: string;
  message: string;
  qos: 0 | 1 | 2;
  retain: boolean;
  encoding: 'utf8' | 'base64';
}

export const integrationEvent = {
  $id: 'integrationEvent',
  type: 'object',
  properties: {
    id: { type: 'string' },
    integrationId: { type: 'string' },
    applicationId: { type: 'string' },
    ts: { type: 'number', description: 'Milliseconds since the epoch' },
    time: { type: 'string', format: 'date-time' },
    type: { type: 'string', enum: ['connected', 'connectFailed', 'disconnected', 'subscribeFailed', 'disabled', 'stopped'] },
    message: { type: 'string' },
  },
} as const;

export const integrationEvents = collectionSchema('integrationEvents', 'integrationEvent', { integrationId: { type: 'string' }, applicationId: { type: 'string' } });
