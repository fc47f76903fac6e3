import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Aedes } from 'aedes';
import type { Connector, ConnectorOptions } from '../../../src/runtime/connector.js';
import type { IntegrationSpec } from '../../../src/domain/integration-spec.js';
import { createMqttConnector } from '../../../src/runtime/connectors/mqtt/connector.js';
import { outboundPolicy, type CidrBlock } from '../../../src/runtime/connectors/outbound.js';
import { createWebsocketConnector } from '../../../src/runtime/connectors/websocket/connector.js';
import { testConfig } from '../../../src/config/config.js';
import { aedesBroker, mqttSpec, type Broker, type Transport } from '../../support/mqtt-brokers.js';
import { recordEvents } from '../../support/wait.js';
import { wsServer, wsSpec, type WsServer } from '../../support/ws-servers.js';

/**
 * SPEC §10: OUTBOUND_DENY / OUTBOUND_ALLOW. Only 127.0.0.1 is ever contacted:
 * the denied cases deny 127.0.0.0/8 and point at in-process servers there, so
 * a guard that failed would reach nothing but them (and the test would see it).
 */

const cidr = (text: string): CidrBlock => {
  const [address = '', prefix] = text.split('/');
  return { address, prefix: Number(prefix), family: address.includes(':') ? 'ipv6' : 'ipv4' };
};
const DEFAULTS = testConfig();
const byDefault = outboundPolicy(DEFAULTS.outboundDeny, DEFAULTS.outboundAllow);
const noLoopback = outboundPolicy([cidr('127.0.0.0/8')], []);
const DENIED = /^Connecting to localhost \(127\.0\.0\.1\) is not allowed \(OUTBOUND_DENY 127\.0\.0\.0\/8\)$/;

describe('the outbound policy', () => {
  it('refuses link-local addresses by default, in every spelling of a literal', () => {
    expect(byDefault.refusal('169.254.169.254')).toBe('Connecting to 169.254.169.254 is not allowed (OUTBOUND_DENY 169.254.0.0/16)');
    expect(byDefault.refusal('fe80::1')).toBe('Connecting to fe80::1 is not allowed (OUTBOUND_DENY fe80::/10)');
    expect(byDefault.refusal('::ffff:169.254.169.254')).toMatch(/OUTBOUND_DENY 169\.254\.0\.0\/16/);
    for (const host of ['169.254.169.254', '2852039166', '0xa9fea9fe', '0251.0376.0251.0376', '169.254.43518', '[fe80::1]', 'fe80::1%eth0', '[::ffff:a9fe:a9fe]']) {
      expect(byDefault.literalRefusal(host), host).toMatch(/is not allowed \(OUTBOUND_DENY/);
    }
    for (const host of ['127.0.0.1', '10.1.2.3', '::1', 'broker.example.com', 'metadata.google.internal']) expect(byDefault.literalRefusal(host), host).toBeUndefined();
  });

  it('with OUTBOUND_ALLOW, refuses everything outside it', () => {
    const onlyLan = outboundPolicy([cidr('169.254.0.0/16')], [cidr('192.168.0.0/16'), cidr('127.0.0.1/32')]);
    expect(onlyLan.refusal('192.168.1.20')).toBeUndefined();
    expect(onlyLan.refusal('127.0.0.1')).toBeUndefined();
    expect(onlyLan.refusal('10.0.0.1')).toBe('Connecting to 10.0.0.1 is not allowed (not in OUTBOUND_ALLOW 192.168.0.0/16,127.0.0.1/32)');
    expect(onlyLan.refusal('169.254.169.254')).toMatch(/OUTBOUND_DENY/);
  });

  it('looks names up like dns.lookup, refusing one that resolves to a denied address', async () => {
    const lookup = promisify(byDefault.lookup) as unknown as (host: string, options: object) => Promise<unknown>;
    await expect(lookup('localhost', { family: 4 })).resolves.toBe('127.0.0.1');
    await expect(lookup('localhost', { family: 4, all: true })).resolves.toEqual([{ address: '127.0.0.1', family: 4 }]);
    const denied = promisify(noLoopback.lookup) as unknown as (host: string, options: object) => Promise<unknown>;
    await expect(denied('localhost', { all: true })).rejects.toThrow(DENIED);
    await expect(lookup('does-not-exist.invalid', {})).rejects.toMatchObject({ code: 'ENOTFOUND' });
  });
});

describe('connectors under the outbound policy', () => {
  const OPTIONS: ConnectorOptions = { connectTimeoutMs: 3000, keepaliveSeconds: 30 };
  const open: Connector[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((c) => c.close()));
  });
  const attempt = (create: typeof createMqttConnector, spec: IntegrationSpec, outbound: ConnectorOptions['outbound']) => {
    const connector = create(spec, recordEvents().events, { ...OPTIONS, outbound });
    open.push(connector);
    return connector.connect();
  };

  describe.each(['mqtt', 'mqtts', 'ws', 'wss'] as Transport[])('MQTT over %s', (transport) => {
    let broker: Broker & { readonly aedes: Aedes };
    let clients = 0;
    beforeAll(async () => {
      broker = await aedesBroker({ transport });
      broker.aedes.on('client', () => (clients += 1));
    });
    afterAll(() => broker.close());

    it('fails to connect to a name that resolves to a denied address, saying so, and reaches nothing', async () => {
      const before = clients;
      await expect(attempt(createMqttConnector, mqttSpec({ ...broker, host: 'localhost' }, ['a']), noLoopback)).rejects.toThrow(DENIED);
      await expect(attempt(createMqttConnector, mqttSpec(broker, ['a']), noLoopback)).rejects.toThrow('Connecting to 127.0.0.1 is not allowed (OUTBOUND_DENY 127.0.0.0/8)');
      expect(clients).toBe(before);
    });

    it('connects where the policy allows, by name and by address', async () => {
      await attempt(createMqttConnector, mqttSpec({ ...broker, host: 'localhost' }, ['a']), byDefault);
      await attempt(createMqttConnector, mqttSpec(broker, ['a']), byDefault);
    });
  });

  describe.each([false, true])('WebSocket (TLS %s)', (tls) => {
    let server: WsServer;
    beforeAll(async () => {
      server = await wsServer({ tls });
    });
    afterAll(() => server.close());

    it('fails to connect to a name that resolves to a denied address, saying so, and reaches nothing', async () => {
      const byName = server.url.replace('127.0.0.1', 'localhost');
      await expect(attempt(createWebsocketConnector, wsSpec({ url: byName }), noLoopback)).rejects.toThrow(DENIED);
      await expect(attempt(createWebsocketConnector, wsSpec(server), noLoopback)).rejects.toThrow('Connecting to 127.0.0.1 is not allowed (OUTBOUND_DENY 127.0.0.0/8)');
      expect(server.upgrades).toHaveLength(0);
    });

    it('connects where the policy allows, by name and by address', async () => {
      await attempt(createWebsocketConnector, wsSpec({ url: server.url.replace('127.0.0.1', 'localhost') }), byDefault);
      await attempt(createWebsocketConnector, wsSpec(server), byDefault);
      expect(server.upgrades).toHaveLength(2);
    });
  });
});
