import { describeSocketError, describeUnknownError, timedOut } from '../socket-reasons.js';
import type { Target } from '../socket-reasons.js';

/**
 * Everything an MQTT link can fail with, as one sentence for
 * `disconnectInfo.error`: the broker's own code and words where it gives
 * them (CONNACK, SUBACK, DISCONNECT), else a clear sentence about the socket.
 */

/** MQTT 3.1.1 CONNACK return codes (§3.2.2.3). */
const RETURN_CODES: Readonly<Record<number, string>> = {
  1: 'Unacceptable protocol version',
  2: 'Identifier rejected',
  3: 'Server unavailable',
  4: 'Bad username or password',
  5: 'Not authorized',
};

/** MQTT 5 reason codes that mean failure (§2.4); the names are the specification's. */
const REASON_CODES: Readonly<Record<number, string>> = {
  128: 'Unspecified error',
  129: 'Malformed Packet',
  130: 'Protocol Error',
  131: 'Implementation specific error',
  132: 'Unsupported Protocol Version',
  133: 'Client Identifier not valid',
  134: 'Bad User Name or Password',
  135: 'Not authorized',
  136: 'Server unavailable',
  137: 'Server busy',
  138: 'Banned',
  139: 'Server shutting down',
  140: 'Bad authentication method',
  141: 'Keep Alive timeout',
  142: 'Session taken over',
  143: 'Topic Filter invalid',
  144: 'Topic Name invalid',
  145: 'Packet Identifier in use',
  146: 'Packet Identifier not found',
  147: 'Receive Maximum exceeded',
  148: 'Topic Alias invalid',
  149: 'Packet too large',
  150: 'Message rate too high',
  151: 'Quota exceeded',
  152: 'Administrative action',
  153: 'Payload format invalid',
  154: 'Retain not supported',
  155: 'QoS not supported',
  156: 'Use another server',
  157: 'Server moved',
  158: 'Shared Subscriptions not supported',
  159: 'Connection rate exceeded',
  160: 'Maximum connect time',
  161: 'Subscription Identifiers not supported',
  162: 'Wildcard Subscriptions not supported',
};

export const KEEPALIVE_TIMEOUT = 'Keepalive timeout';
export const CLOSED_BY_BROKER = 'Connection closed by the broker';

/** A broker's free-text explanation (MQTT 5 Reason String), appended when present. */
function withReasonString(sentence: string, reasonString: string | undefined): string {
  return reasonString ? `${sentence}: ${reasonString}` : sentence;
}

/** A CONNACK that refused the connection. Codes 1–5 are 3.1.1 return codes, 128+ are MQTT 5 reason codes. */
export function connackRefusal(code: number, reasonString?: string): string {
  const v311 = RETURN_CODES[code];
  if (v311 !== undefined) return `Connection refused: ${v311} (return code ${code})`;
  const name = REASON_CODES[code] ?? 'Refused by the broker';
  return withReasonString(`Connection refused: ${name} (reason code ${code})`, reasonString);
}

/** One refused topic of a SUBACK. MQTT 3.1.1 has only 0x80; MQTT 5 says why. */
export function subackRefusal(code: number, protocolVersion: 4 | 5): string {
  if (protocolVersion === 4) return `Refused by the broker (SUBACK ${code})`;
  return `${REASON_CODES[code] ?? 'Refused by the broker'} (reason code ${code})`;
}

/** An MQTT 5 DISCONNECT sent by the broker, e.g. "Session taken over (reason code 142)". */
export function brokerDisconnect(code: number, reasonString?: string): string {
  const name = REASON_CODES[code] ?? (code === 0 ? 'Normal disconnection' : 'Unknown reason');
  return withReasonString(`Disconnected by the broker: ${name} (reason code ${code})`, reasonString);
}

/** A PUBACK/PUBREC carrying an MQTT 5 failure code. */
export function publishRefusal(code: number): string {
  return `Publish refused by the broker: ${REASON_CODES[code] ?? 'Unknown reason'} (reason code ${code})`;
}

export interface AttemptContext extends Target {
  readonly connectTimeoutMs: number;
}

/**
 * An error emitted by an mqtt.js client. mqtt.js words a few of its own
 * failures in fixed sentences ("Keepalive timeout", "connack timeout",
 * "Connection refused: …" with a numeric code); everything else comes from
 * the socket below it.
 */
export function describeMqttError(error: unknown, context: AttemptContext): string {
  if (error instanceof Error) {
    if (error.message === 'Keepalive timeout') return KEEPALIVE_TIMEOUT;
    if (error.message === 'connack timeout') return timedOut(context.connectTimeoutMs);
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'number' && error.message.startsWith('Connection refused')) return connackRefusal(code);
    if (typeof code === 'number') return `${error.message} (reason code ${code})`;
  }
  return describeSocketError(error, 'broker', context) ?? describeUnknownError(error);
}
