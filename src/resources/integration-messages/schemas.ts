import { commonQueryProperties } from '../../http/query.js';
import { collectionSchema } from '../../http/common-schemas.js';

export const streamQuery = {
  type: 'object',
  properties: {
    ...commonQueryProperties,
    keepAliveInterval: { type: 'integer', minimum: 1, maximum: 600, default: 2, description: 'Seconds between keep-alive comment lines' },
    lastEventId: {
      type: 'string',
      maxLength: 64,
      description: 'Resume after this message id (for clients that cannot send the Last-Event-ID header; the header wins)',
    },
  },
} as const;

export interface StreamQuery {
  keepAliveInterval: number;
  lastEventId?: string;
}

export const messagesQuery = {
  type: 'object',
  properties: {
    ...commonQueryProperties,
    since: { type: 'string', pattern: '^[0-9]{1,16}$', 'x-message': 'must be a message id', description: 'Only messages after this message id' },
    sortDirection: { type: 'string', enum: ['asc', 'desc', 'ASC', 'DESC', ''], default: 'desc', description: 'desc (default) for newest first, asc for oldest first' },
    page: { type: 'integer', minimum: 0, maximum: 1_000_000_000, default: 0, description: 'Which page of results to return, from 0' },
    perPage: { type: 'integer', minimum: 1, maximum: 1000, default: 1000, description: 'How many items to return per page' },
  },
} as const;

export interface MessagesQuery {
  since?: string;
  sortDirection: string;
  page: number;
  perPage: number;
  _links: boolean;
}

export const retainedMessage = {
  $id: 'retainedMessage',
  type: 'object',
  properties: {
    id: { type: 'string', description: 'The message id, usable as a stream cursor' },
    time: { type: 'string', format: 'date-time' },
    topic: { type: 'string' },
    message: { type: 'string' },
    encoding: { type: 'string', enum: ['base64'] },
    sourceId: { type: 'string' },
    attributes: { type: 'object', additionalProperties: { type: 'string' } },
  },
  required: ['id', 'time', 'topic', 'message'],
} as const;

export const retainedMessages = collectionSchema('retainedMessages', 'retainedMessage', { since: { type: 'string' }, integrationId: { type: 'string' }, applicationId: { type: 'string' } });

export const publishBody = {
  type: 'object',
  properties: {
    topic: { type: 'string', minLength: 1, maxLength: 65535, description: 'MQTT topic to publish to (required for MQTT; ignored for WebSocket)' },
    message: { type: 'string', description: 'The payload: text, or base64 when encoding is "base64"' },
    qos: { type: 'integer', enum: [0, 1, 2], default: 1, description: 'MQTT QoS; the call answers once the broker acknowledged it' },
    retain: { type: 'boolean', default: false },
    encoding: { type: 'string', enum: ['utf8', 'base64'], default: 'utf8', description: 'How message is encoded; base64 sends raw bytes (a binary frame for WebSocket)' },
    attributes: {
      type: 'object',
      maxProperties: 100,
      additionalProperties: { type: 'string', maxLength: 65535 },
      description: 'Metadata for the types that carry it (SQS message attributes, Pub/Sub attributes, Event Hubs properties)',
    },
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
  attributes?: Record<string, string>;
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
