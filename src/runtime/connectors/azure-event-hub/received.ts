import type { ReceivedEventData } from '@azure/event-hubs';
import type { ReceivedMessage } from '../../connector.js';

/**
 * An event as Tributary streams it (SPEC §7): topic = the hub, message = the
 * body (a string as is, bytes as binary, anything else as JSON), sourceId =
 * `<partitionId>:<sequenceNumber>`, attributes = the application properties
 * as strings, plus partitionId.
 */
export function receivedMessage(hubName: string, partitionId: string, event: ReceivedEventData, ack: () => void): ReceivedMessage {
  const body: unknown = event.body;
  const bytes = body instanceof Uint8Array;
  return {
    topic: hubName,
    payload: typeof body === 'string' ? body : bytes ? Buffer.from(body.buffer, body.byteOffset, body.byteLength) : jsonOf(body),
    binary: bytes,
    sourceId: `${partitionId}:${event.sequenceNumber}`,
    attributes: attributesOf(event.properties, partitionId),
    ack,
  };
}

function attributesOf(properties: Record<string, unknown> | undefined, partitionId: string): Record<string, string> {
  const attributes: Record<string, string> = {};
  if (properties !== undefined) for (const [name, value] of Object.entries(properties)) attributes[name] = textOf(value);
  attributes['partitionId'] = partitionId;
  return attributes;
}

/** An application property as a string: AMQP carries numbers, booleans, timestamps and bytes too. */
function textOf(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === null || value === undefined) return '';
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return jsonOf(value);
}

function jsonOf(value: unknown): string {
  try {
    // undefined (an empty body) has no JSON; null stands for it.
    return JSON.stringify(value, (_key, item: unknown) => (typeof item === 'bigint' ? item.toString() : item)) ?? 'null';
  } catch {
    return String(value);
  }
}
