import { isUtf8 } from 'node:buffer';
import type { MessageRow, NewMessage } from '../store/store.js';
import type { ReceivedMessage } from './connector.js';

/** A message received by an integration, on its way to the log and the streams. */
export interface InboundMessage extends ReceivedMessage {
  readonly integrationId: string;
  readonly applicationId: string;
  /** Milliseconds since the epoch, when it arrived. */
  readonly time: number;
}

/**
 * The message as it is kept and shown: UTF-8 text as it is; bytes that are
 * not UTF-8, a WebSocket binary frame, or text holding NUL (PostgreSQL text
 * cannot) as base64.
 */
export function toNewMessage(message: InboundMessage): NewMessage {
  const { payload } = message;
  let text: string;
  let base64 = false;
  if (typeof payload === 'string') {
    text = payload;
    if (text.includes('\u0000') || !text.isWellFormed()) {
      text = Buffer.from(payload, 'utf8').toString('base64');
      base64 = true;
    }
  } else if (!message.binary && isUtf8(payload) && !payload.includes(0)) {
    text = payload.toString('utf8');
  } else {
    text = payload.toString('base64');
    base64 = true;
  }
  return {
    integrationId: message.integrationId,
    applicationId: message.applicationId,
    time: message.time,
    topic: message.topic,
    message: text,
    encoding: base64 ? 'base64' : null,
    sourceId: message.sourceId ?? null,
    attributes: message.attributes ?? null,
  };
}

const ID_WIDTH = 16;

/** A message's id: its position, fixed width, so ids compare the same as text and as numbers. */
export function messageId(pos: number): string {
  return String(pos).padStart(ID_WIDTH, '0');
}

/** The position an id stands for; undefined when it is not one of ours. */
export function parseMessageId(id: string): number | undefined {
  if (!/^\d{1,16}$/.test(id)) return undefined;
  const pos = Number(id);
  return Number.isSafeInteger(pos) ? pos : undefined;
}

let isoMs = 0;
let isoText = new Date(0).toISOString();

/** Messages arrive thousands per millisecond; the timestamp text is made once per millisecond. */
function isoTime(ms: number): string {
  if (ms !== isoMs) {
    isoMs = ms;
    isoText = new Date(ms).toISOString();
  }
  return isoText;
}

/**
 * The SSE `data` of an `integrationMessage` event: `{ time, topic, message }`,
 * plus `encoding: "base64"`, `sourceId` and `attributes` when the message has
 * them, plus `integrationId` on the application-wide stream.
 */
export function messageData(message: MessageRow, withIntegrationId: boolean): string {
  const head = withIntegrationId ? `{"integrationId":"${message.integrationId}",` : '{';
  let data = `${head}"time":"${isoTime(message.time)}","topic":${JSON.stringify(message.topic)},"message":${JSON.stringify(message.message)}`;
  if (message.encoding !== null) data += ',"encoding":"base64"';
  if (message.sourceId !== null) data += `,"sourceId":${JSON.stringify(message.sourceId)}`;
  if (message.attributes !== null) data += `,"attributes":${JSON.stringify(message.attributes)}`;
  return `${data}}`;
}
