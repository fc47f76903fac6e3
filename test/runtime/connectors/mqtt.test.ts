import { randomUUID } from 'node:crypto';
import { connectAsync } from 'mqtt';
import type { IClientOptions, MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ConnectError } from '../../../src/runtime/connector.js';
import type { Connector } from '../../../src/runtime/connector.js';
import type { IntegrationSpec } from '../../../src/domain/integration-spec.js';
import { createMqttConnector } from '../../../src/runtime/connectors/mqtt/connector.js';
import { sharedSecureContext } from '../../../src/runtime/connectors/tls-contexts.js';
import { certificates } from '../../support/certs.js';
import { aedesBroker, deafBroker, freePort, mosquittoAvailable, mosquittoProcess, mqttSpec, plainBroker, restartableBroker, silentServer } from '../../support/mqtt-brokers.js';
import type { Broker } from '../../support/mqtt-brokers.js';
import { services } from '../../support/services.js';
import { recordEvents, waitFor, within } from '../../support/wait.js';
import type { EventRecorder } from '../../support/wait.js';

const OPTIONS = { connectTimeoutMs: 3000, keepaliveSeconds: 5 };
const open: Connector[] = [];
const peers: MqttClient[] = [];

afterEach(async () => {
  await Promise.all(open.splice(0).map((connector) => connector.close()));
  await Promise.all(peers.splice(0).map((peer) => peer.endAsync()));
});

function start(spec: IntegrationSpec, options: Partial<typeof OPTIONS> = {}): { connector: Connector; recorder: EventRecorder } {
  const recorder = recordEvents();
  const connector = createMqttConnector(spec, recorder.events, { ...OPTIONS, ...options });
  open.push(connector);
  return { connector, recorder };
}

async function peer(options: IClientOptions): Promise<MqttClient> {
  const client = await connectAsync({ ...options, reconnectPeriod: 0, clientId: `peer-${randomUUID()}` });
  peers.push(client);
  return client;
}

const text = (message: { payload: Buffer | string }) => message.payload.toString();

describe('on the plain broker', () => {
  let broker: Broker;
  let prefix: string;
  beforeAll(async () => {
    broker = await plainBroker();
  });
  afterAll(() => broker.close());
  beforeEach(() => {
    prefix = `mqtt-test/${randomUUID()}`;
  });

  it('subscribes to wildcard topics', async () => {
    const { connector, recorder } = start(mqttSpec(broker, [`${prefix}/+/temp`, `${prefix}/dev/#`]));
    await connector.connect();
    const sender = await peer(broker.peerOptions);
    await sender.publishAsync(`${prefix}/kitchen/temp`, 'plus', { qos: 1 });
    await sender.publishAsync(`${prefix}/kitchen/humidity`, 'no match', { qos: 1 });
    await sender.publishAsync(`${prefix}/dev/a/b`, 'hash', { qos: 1 });
    await recorder.waitMessage((m) => text(m) === 'hash');
    expect(recorder.messages.map((m) => [m.topic, text(m), m.binary])).toEqual([
      [`${prefix}/kitchen/temp`, 'plus', false],
      [`${prefix}/dev/a/b`, 'hash', false],
    ]);
  });

  it('publishes at QoS 0, 1 and 2, and retains on request', async () => {
    const { connector } = start(mqttSpec(broker, []));
    await connector.connect();
    const receiver = await peer(broker.peerOptions);
    const received: string[] = [];
    const allThree = new Promise<void>((resolve) =>
      receiver.on('message', (_topic, payload) => {
        if (received.push(payload.toString()) === 3) resolve();
      }),
    );
    await receiver.subscribeAsync(`${prefix}/out`, { qos: 2 });
    for (const qos of [0, 1, 2] as const) await connector.publish({ topic: `${prefix}/out`, payload: `qos ${qos}`, qos, retain: false });
    await within(allThree, 'three messages');
    expect(received).toEqual(['qos 0', 'qos 1', 'qos 2']);

    await connector.publish({ topic: `${prefix}/retained`, payload: 'kept', qos: 1, retain: true });
    const late = await peer(broker.peerOptions);
    const retained = new Promise<boolean>((resolve) => late.on('message', (_topic, _payload, packet) => resolve(packet.retain)));
    await late.subscribeAsync(`${prefix}/retained`);
    expect(await retained).toBe(true);
    await connector.publish({ topic: `${prefix}/retained`, payload: '', qos: 1, retain: true });
  });

  it('refuses to publish to a topic with wildcards', async () => {
    const { connector } = start(mqttSpec(broker, []));
    await connector.connect();
    await expect(connector.publish({ topic: `${prefix}/#`, payload: 'x', qos: 0, retain: false })).rejects.toThrow(/wildcards/);
  });

  it('remembers topics set while disconnected for the next connect()', async () => {
    const { connector, recorder } = start(mqttSpec(broker, [`${prefix}/old`]));
    await connector.setTopics([`${prefix}/new`]);
    await connector.connect();
    const sender = await peer(broker.peerOptions);
    await sender.publishAsync(`${prefix}/old`, 'old', { qos: 1 });
    await sender.publishAsync(`${prefix}/new`, 'new', { qos: 1 });
    await recorder.waitMessage((m) => text(m) === 'new');
    expect(recorder.messages.map(text)).toEqual(['new']);
  });

  it('reports a PINGRESP as a sign of life', async () => {
    const { connector, recorder } = start(mqttSpec(broker, []), { keepaliveSeconds: 1 });
    await connector.connect();
    expect(recorder.alives).toBe(0);
    await recorder.waitAlive(3000);
  });
});

describe('protocol versions', () => {
  // MQTT 5 needs Mosquitto: aedes speaks 3.1.1 only.
  const v5Broker = async (): Promise<Broker | null> => (services().mosquitto ? plainBroker() : mosquittoProcess());
  const canRunV5 = services().mosquitto !== null || mosquittoAvailable();

  for (const version of ['3.1.1', '5'] as const) {
    it.skipIf(version === '5' && !canRunV5)(`connects, receives and publishes with MQTT ${version}`, async () => {
      const broker = version === '5' ? (await v5Broker())! : await plainBroker();
      try {
        const prefix = `mqtt-test/${randomUUID()}`;
        const { connector, recorder } = start(mqttSpec(broker, [`${prefix}/in`], { protocolVersion: version }));
        await connector.connect();
        const other = await peer(broker.peerOptions);
        await other.subscribeAsync(`${prefix}/out`, { qos: 2 });
        const echoed = new Promise<string>((resolve) => other.on('message', (_topic, payload) => resolve(payload.toString())));
        await connector.publish({ topic: `${prefix}/out`, payload: 'out', qos: 2, retain: false });
        expect(await echoed).toBe('out');
        await other.publishAsync(`${prefix}/in`, 'in', { qos: 1 });
        await recorder.waitMessage((m) => text(m) === 'in');
      } finally {
        await broker.close();
      }
    });
  }

  it('says why an MQTT 5 broker disconnected the link, in its own words', async () => {
    const broker = await deafBroker({ protocolVersion: 5, disconnectOnPublish: { reasonCode: 0x97, reasonString: 'monthly quota used up' } });
    try {
      const { connector, recorder } = start(mqttSpec({ protocol: 'mqtt', host: '127.0.0.1', port: broker.port }, [], { protocolVersion: '5' }));
      await connector.connect();
      await connector.publish({ topic: 'a/b', payload: 'one too many', qos: 0, retain: false });
      expect(await recorder.waitDown()).toBe('Disconnected by the broker: Quota exceeded (reason code 151): monthly quota used up');
    } finally {
      await broker.close();
    }
  });
});

describe('client id', () => {
  it('derives a stable one from the integration id', async () => {
    const broker = await aedesBroker();
    try {
      const seen: string[] = [];
      broker.aedes.on('client', (client) => seen.push(client.id));
      const spec = mqttSpec(broker, []);
      for (let i = 0; i < 2; i++) {
        const { connector } = start(spec);
        await connector.connect();
        await connector.close();
      }
      expect(seen).toEqual([`tributary-${spec.id}`, `tributary-${spec.id}`]);
    } finally {
      await broker.close();
    }
  });
});

describe('credentials', () => {
  const credentials = { username: 'tributary', password: 'right horse battery' };
  const legs = [
    { name: 'aedes, MQTT 3.1.1', make: () => aedesBroker({ credentials }), version: '3.1.1' as const, refusal: 'Connection refused: Bad username or password (return code 4)' },
    { name: 'Mosquitto, MQTT 3.1.1', make: () => mosquittoProcess({ users: [credentials] }), version: '3.1.1' as const, refusal: 'Connection refused: Not authorized (return code 5)' },
    { name: 'Mosquitto, MQTT 5', make: () => mosquittoProcess({ users: [credentials] }), version: '5' as const, refusal: 'Connection refused: Not authorized (reason code 135)' },
  ];
  for (const leg of legs) {
    it.skipIf(leg.name.startsWith('Mosquitto') && !mosquittoAvailable())(`connects with the right ones and says why the wrong ones were refused (${leg.name})`, async () => {
      const broker = (await leg.make())!;
      try {
        const good = start(mqttSpec(broker, [], { ...credentials, protocolVersion: leg.version }));
        await good.connector.connect();
        const bad = start(mqttSpec(broker, [], { ...credentials, password: 'wrong', protocolVersion: leg.version }));
        const failure = bad.connector.connect();
        await expect(failure).rejects.toBeInstanceOf(ConnectError);
        await expect(failure).rejects.toThrow(leg.refusal);
        expect(bad.recorder.count).toBe(0);
      } finally {
        await broker.close();
      }
    });
  }
});

describe('TLS', () => {
  let broker: Broker;
  let strict: Broker;
  beforeAll(async () => {
    broker = await aedesBroker({ transport: 'mqtts' });
    strict = await aedesBroker({ transport: 'mqtts', requireClientCert: true });
  });
  afterAll(async () => {
    await broker.close();
    await strict.close();
  });

  it('refuses a server certificate it cannot verify', async () => {
    for (const caCertificate of [undefined, certificates().otherCa]) {
      const { connector } = start(mqttSpec(broker, [], { caCertificate }));
      // The broker sends its CA along with its certificate, so OpenSSL meets a self-signed one it does not trust.
      await expect(connector.connect()).rejects.toThrow(/^TLS error: self-signed certificate in certificate chain \(SELF_SIGNED_CERT_IN_CHAIN\)$/);
    }
  });

  it('connects anyway with disableSSLVerification', async () => {
    const { connector } = start(mqttSpec(broker, [], { caCertificate: undefined, disableSSLVerification: true }));
    await connector.connect();
  });

  it('shares one TLS context between connections with the same material', () => {
    const { ca, clientCert, clientKey } = certificates();
    expect(sharedSecureContext({ ca })).toBe(sharedSecureContext({ ca }));
    expect(sharedSecureContext({ ca, cert: clientCert, key: clientKey })).not.toBe(sharedSecureContext({ ca }));
  });

  it('says when the TLS material is not valid PEM', async () => {
    const { connector } = start(mqttSpec(broker, [], { certificate: 'not a certificate', privateKey: 'not a key' }));
    await expect(connector.connect()).rejects.toThrow(/^Invalid TLS certificate, key or CA certificate: .*\(ERR_OSSL_PEM_NO_START_LINE\)$/);
  });

  it('presents a client certificate to a broker that requires one', async () => {
    const without = start(mqttSpec(strict, []));
    await expect(without.connector.connect()).rejects.toThrow(/TLS error|reset by the broker|closed by the broker/);
    const { clientCert, clientKey } = certificates();
    const withCert = start(mqttSpec(strict, [], { certificate: clientCert, privateKey: clientKey }));
    await withCert.connector.connect();
  });
});

describe('refused subscriptions', () => {
  it('reports them while connect() still resolves and the other topics flow', async () => {
    const broker = await aedesBroker({ refuseTopic: (topic) => topic.startsWith('secret/') });
    try {
      const { connector, recorder } = start(mqttSpec(broker, ['secret/#', 'public/#']));
      await connector.connect();
      expect(recorder.refusals).toEqual([[{ topic: 'secret/#', reason: 'Refused by the broker (SUBACK 128)' }]]);
      await connector.setTopics(['public/#', 'secret/more']);
      expect(recorder.refusals[1]).toEqual([{ topic: 'secret/more', reason: 'Refused by the broker (SUBACK 128)' }]);
      const sender = await peer(broker.peerOptions);
      await sender.publishAsync('public/news', 'still flowing', { qos: 1 });
      await recorder.waitMessage((m) => text(m) === 'still flowing');
      expect(recorder.downs).toEqual([]);
    } finally {
      await broker.close();
    }
  });
});

describe('failures', () => {
  it('detects a broker that stopped answering pings', async () => {
    const broker = await deafBroker();
    try {
      const { connector, recorder } = start(mqttSpec({ protocol: 'mqtt', host: '127.0.0.1', port: broker.port }, ['a/b']), { keepaliveSeconds: 1 });
      await connector.connect();
      expect(await recorder.waitDown(4000)).toBe('Keepalive timeout');
      expect(broker.pings).toBeGreaterThan(0);
    } finally {
      await broker.close();
    }
  });

  it('says the connection was refused', async () => {
    const port = await freePort();
    const { connector } = start(mqttSpec({ protocol: 'mqtt', host: '127.0.0.1', port }, []));
    await expect(connector.connect()).rejects.toThrow(`Connection refused by 127.0.0.1:${port} (ECONNREFUSED)`);
  });

  it('gives up on a server that never answers, leaving no socket or timer behind', async () => {
    const server = await silentServer();
    try {
      const handles = () => process.getActiveResourcesInfo().filter((kind) => kind === 'TCPSocketWrap' || kind === 'Timeout').length;
      const baseline = handles();
      const { connector } = start(mqttSpec({ protocol: 'mqtt', host: '127.0.0.1', port: server.port }, []), { connectTimeoutMs: 300 });
      await expect(connector.connect()).rejects.toThrow('Connection timed out after 300 ms');
      await waitFor(() => (handles() <= baseline ? true : undefined), 'the attempt to release its socket and timers', 2000);
    } finally {
      await server.close();
    }
  });

  it('reports a killed broker, then connects again once it is back', async () => {
    const broker = await restartableBroker();
    try {
      const { connector, recorder } = start(mqttSpec(broker, ['x/y']));
      await connector.connect();
      await broker.stop();
      expect(await recorder.waitDown()).toMatch(/^Connection (closed|reset) by the broker/);
      await expect(connector.connect()).rejects.toThrow(/ECONNREFUSED/);
      await broker.start();
      await connector.connect();
      const sender = await peer(broker.peerOptions);
      await sender.publishAsync('x/y', 'back', { qos: 1 });
      await recorder.waitMessage((m) => text(m) === 'back');
      expect(recorder.downs).toHaveLength(1);
    } finally {
      await broker.close();
    }
  });
});
