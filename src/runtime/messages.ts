import { isUtf8 } from 'node:buffer';
import type { ReceivedMessage } from './connector.js';

/** A message received by an integration, on its way to the log and the streams. */
export interface InboundMessage extends ReceivedMessage {
  readonly integrationId: string;
  readonly applicationId: string;
  /** Milliseconds since the epoch, when it arrived. */
  readonly time: number;
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
 * plus `encoding: "base64"` when the payload is binary (or not valid UTF-8),
 * plus `integrationId` on the application-wide stream.
 */
export function messageData(message: InboundMessage, withIntegrationId: boolean): string {
  const { payload } = message;
  let text: string;
  let base64 = false;
  if (typeof payload === 'string') {
    text = payload;
  } else if (!message.binary && isUtf8(payload)) {
    text = payload.toString('utf8');
  } else {
    text = payload.toString('base64');
    base64 = true;
  }
  const head = withIntegrationId ? `{"integrationId":"${message.integrationId}",` : '{';
  return `${head}"time":"${isoTime(message.time)}","topic":${JSON.stringify(message.topic)},"message":${JSON.stringify(text)}${base64 ? ',"encoding":"base64"' : ''}}`;
}
