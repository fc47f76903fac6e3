import { describe, expect, it } from 'vitest';
import { brokerDisconnect, connackRefusal, describeMqttError, publishRefusal, subackRefusal } from '../../../src/runtime/connectors/mqtt/reasons.js';
import { describeSocketError, describeUnknownError } from '../../../src/runtime/connectors/socket-reasons.js';
import { describeClose, describeWebsocketError } from '../../../src/runtime/connectors/websocket/reasons.js';

/** The reason sentences, from synthetic errors shaped like Node's, mqtt.js's and ws's. */

const context = { host: 'broker.example', port: 1883, connectTimeoutMs: 5000 };

function systemError(message: string, fields: Record<string, unknown>): Error {
  return Object.assign(new Error(message), fields);
}

describe('socket errors', () => {
  it('names the refusing address', () => {
    const error = systemError('connect ECONNREFUSED 127.0.0.1:1883', { code: 'ECONNREFUSED', address: '127.0.0.1', port: 1883, syscall: 'connect' });
    expect(describeMqttError(error, context)).toBe('Connection refused by 127.0.0.1:1883 (ECONNREFUSED)');
  });

  it('falls back to the target for an AggregateError of happy eyeballs', () => {
    const error = Object.assign(new AggregateError([systemError('connect ECONNREFUSED ::1:1883', { code: 'ECONNREFUSED', address: '::1', port: 1883 })]), { code: 'ECONNREFUSED' });
    expect(describeMqttError(error, context)).toBe('Connection refused by [::1]:1883 (ECONNREFUSED)');
    const bare = Object.assign(new AggregateError([]), { code: 'ECONNREFUSED' });
    expect(describeMqttError(bare, context)).toBe('Connection refused by broker.example:1883 (ECONNREFUSED)');
  });

  it('says DNS failed and for which host', () => {
    const error = systemError('getaddrinfo ENOTFOUND x', { code: 'ENOTFOUND', hostname: 'x', syscall: 'getaddrinfo' });
    expect(describeMqttError(error, context)).toBe('DNS lookup failed for host x (ENOTFOUND)');
    expect(describeSocketError(systemError('getaddrinfo EAI_AGAIN y', { code: 'EAI_AGAIN' }), 'server', { host: 'y', port: 443 })).toBe(
      'DNS lookup failed for host y (EAI_AGAIN)',
    );
  });

  it("keeps Node's words for TLS failures", () => {
    const selfSigned = systemError('self-signed certificate', { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
    expect(describeMqttError(selfSigned, context)).toBe('TLS error: self-signed certificate (DEPTH_ZERO_SELF_SIGNED_CERT)');
    const unverified = systemError('unable to verify the first certificate', { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
    expect(describeMqttError(unverified, context)).toBe('TLS error: unable to verify the first certificate (UNABLE_TO_VERIFY_LEAF_SIGNATURE)');
    const alert = systemError('tlsv13 alert certificate required', { code: 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED' });
    expect(describeMqttError(alert, context)).toBe('TLS error: tlsv13 alert certificate required (ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED)');
    const altName = systemError("Hostname/IP does not match certificate's altnames", { code: 'ERR_TLS_CERT_ALTNAME_INVALID' });
    expect(describeWebsocketError(altName, undefined)).toBe("TLS error: Hostname/IP does not match certificate's altnames (ERR_TLS_CERT_ALTNAME_INVALID)");
  });

  it('names the peer that reset the connection', () => {
    const reset = systemError('read ECONNRESET', { code: 'ECONNRESET' });
    expect(describeMqttError(reset, context)).toBe('Connection reset by the broker (ECONNRESET)');
    expect(describeWebsocketError(reset, undefined)).toBe('Connection reset by the server (ECONNRESET)');
  });

  it('keeps the message and code of anything else', () => {
    expect(describeUnknownError(systemError('something odd', { code: 'EWEIRD' }))).toBe('something odd (EWEIRD)');
    expect(describeUnknownError(systemError('read EWEIRD', { code: 'EWEIRD' }))).toBe('read EWEIRD');
    expect(describeWebsocketError(new Error('Unexpected server response: 401'), undefined)).toBe('Unexpected server response: 401');
    expect(describeUnknownError('a string')).toBe('a string');
  });
});

describe('MQTT errors', () => {
  it("translates mqtt.js's own sentences", () => {
    expect(describeMqttError(new Error('Keepalive timeout'), context)).toBe('Keepalive timeout');
    expect(describeMqttError(new Error('connack timeout'), context)).toBe('Connection timed out after 5000 ms');
  });

  it('gives CONNACK refusals with their code', () => {
    const refused = (message: string, code: number) => Object.assign(new Error(message), { code });
    expect(describeMqttError(refused('Connection refused: Bad username or password', 4), context)).toBe('Connection refused: Bad username or password (return code 4)');
    expect(describeMqttError(refused('Connection refused: Not authorized', 5), context)).toBe('Connection refused: Not authorized (return code 5)');
    expect(describeMqttError(refused('Connection refused: Bad User Name or Password', 134), context)).toBe(
      'Connection refused: Bad User Name or Password (reason code 134)',
    );
    expect(describeMqttError(refused('Connection refused: Not authorized', 135), context)).toBe('Connection refused: Not authorized (reason code 135)');
    expect(connackRefusal(138, 'too many attempts')).toBe('Connection refused: Banned (reason code 138): too many attempts');
    expect(connackRefusal(1)).toBe('Connection refused: Unacceptable protocol version (return code 1)');
    expect(connackRefusal(250)).toBe('Connection refused: Refused by the broker (reason code 250)');
  });

  it('says why a subscription was refused', () => {
    expect(subackRefusal(0x80, 4)).toBe('Refused by the broker (SUBACK 128)');
    expect(subackRefusal(0x87, 5)).toBe('Not authorized (reason code 135)');
    expect(subackRefusal(0xa2, 5)).toBe('Wildcard Subscriptions not supported (reason code 162)');
  });

  it('says why the broker disconnected or refused a publish', () => {
    expect(brokerDisconnect(142)).toBe('Disconnected by the broker: Session taken over (reason code 142)');
    expect(brokerDisconnect(0)).toBe('Disconnected by the broker: Normal disconnection (reason code 0)');
    expect(brokerDisconnect(139, 'maintenance')).toBe('Disconnected by the broker: Server shutting down (reason code 139): maintenance');
    expect(publishRefusal(135)).toBe('Publish refused by the broker: Not authorized (reason code 135)');
  });

  it('keeps other mqtt.js errors that carry a reason code', () => {
    expect(describeMqttError(Object.assign(new Error('Protocol error'), { code: 130 }), context)).toBe('Protocol error (reason code 130)');
  });
});

describe('WebSocket close codes', () => {
  it("uses the server's reason, else the code's name", () => {
    expect(describeClose(1001, '')).toBe('Connection closed by the server (1001 going away)');
    expect(describeClose(1008, 'token expired')).toBe('Connection closed by the server (1008 token expired)');
    expect(describeClose(4000, '')).toBe('Connection closed by the server (4000 unknown code)');
    expect(describeClose(1006, '')).toBe('Connection lost without a close frame (1006 abnormal closure)');
  });
});
