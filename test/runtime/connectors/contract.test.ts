import { randomUUID } from 'node:crypto';
import { connectAsync } from 'mqtt';
import type { MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { NotConnectedError } from '../../../src/runtime/connector.js';
import type { Connector } from '../../../src/runtime/connector.js';
import type { IntegrationSpec } from '../../../src/domain/integration-spec.js';
import { createMqttConnector } from '../../../src/runtime/connectors/mqtt/connector.js';
import { createWebsocketConnector } from '../../../src/runtime/connectors/websocket/connector.js';
import { aedesBroker, mqttSpec, plainBroker } from '../../support/mqtt-brokers.js';
import type { Broker, Transport } from '../../support/mqtt-brokers.js';
import type { ContractTarget } from '../../support/contract-target.js';
import { recordEvents, within } from '../../support/wait.js';
import type { EventRecorder } from '../../support/wait.js';
import { WS_PATH, wsServer, wsSpec } from '../../support/ws-servers.js';
import { googlePubSubTarget, particleTarget, sqsTarget } from '../../peers/contract-targets.js';
import { eventHubsTarget } from '../../peers/event-hubs/contract-target.js';

/**
 * The one behaviour every connector owes the supervisor (src/runtime/connector.ts),
 * written once and run on every transport.
 */
const OPTIONS = { connectTimeoutMs: 3000, keepaliveSeconds: 5 };

function connectorContract(name: string, setup: () => Promise<ContractTarget>): void {
  describe(name, () => {
    let target: ContractTarget;
    const open: Connector[] = [];
    let prefix: string;
    beforeAll(async () => {
      target = await setup();
    });
    afterEach(async () => {
      await Promise.all(open.splice(0).map((connector) => connector.close()));
    });
    afterAll(async () => {
      await target?.close();
    });

    function start(topics: readonly string[] = []): { connector: Connector; spec: IntegrationSpec; recorder: EventRecorder } {
      prefix = `contract${separator()}${randomUUID()}`;
      const spec = target.spec(topics.map((suffix) => topic(suffix)));
      const recorder = recordEvents();
      const connector = target.factory(spec, recorder.events, OPTIONS);
      open.push(connector);
      return { connector, spec, recorder };
    }
    const separator = () => target.separator ?? '/';
    const topic = (suffix: string) => `${prefix}${separator()}${suffix}`;
    const payloadOf = (message: { payload: Buffer | string }) => message.payload.toString();

    it('connects, then delivers what the peer sends', async () => {
      const { connector, recorder } = start(['in']);
      await connector.connect();
      await target.send(topic('in'), 'hello');
      const message = await recorder.waitMessage((m) => payloadOf(m) === 'hello');
      expect(message).toMatchObject({ topic: target.reportedTopic(topic('in')), binary: false });
      expect(recorder.downs).toEqual([]);
    });

    it('publishes to the peer', async () => {
      const { connector } = start(['unused']);
      await connector.connect();
      const peer = await target.listen(topic('out'));
      await connector.publish({ topic: topic('out'), payload: 'to the peer', qos: 1, retain: false });
      expect(await peer.next()).toBe('to the peer');
      await connector.publish({ topic: topic('out'), payload: Buffer.from('bytes too'), qos: 0, retain: false });
      expect(await peer.next()).toBe('bytes too');
    });

    it('changes topics on the live link without losing messages of an unchanged topic', async () => {
      const { connector, recorder } = start(['a', 'b']);
      await connector.connect();
      const count = 40;
      for (let i = 0; i < count / 2; i++) await target.send(topic('b'), `b-${i}`);
      const changing = connector.setTopics([topic('b'), topic('c')]);
      for (let i = count / 2; i < count; i++) await target.send(topic('b'), `b-${i}`);
      await changing;
      await target.send(topic('c'), 'c-first');
      await recorder.waitMessage((m) => payloadOf(m) === 'c-first');
      await recorder.waitMessage((m) => payloadOf(m) === `b-${count - 1}`);
      const fromB = recorder.messages.filter((m) => payloadOf(m).startsWith('b-')).map(payloadOf);
      expect(fromB).toEqual(Array.from({ length: count }, (_, i) => `b-${i}`));
      if (target.hasTopics) {
        // The broker forwards in order: had `a` still been subscribed, a-late would come before c-last.
        await target.send(topic('a'), 'a-late');
        await target.send(topic('c'), 'c-last');
        await recorder.waitMessage((m) => payloadOf(m) === 'c-last');
        expect(recorder.messages.map(payloadOf)).not.toContain('a-late');
      }
      expect(recorder.downs).toEqual([]);
    });

    it('reports the peer dropping the link once, with a reason', async () => {
      const { connector, spec, recorder } = start(['in']);
      await connector.connect();
      await target.drop(spec);
      const reason = await recorder.waitDown();
      expect(reason).toMatch(/\w/);
      await expect(connector.publish({ topic: topic('out'), payload: 'x', qos: 1, retain: false })).rejects.toBeInstanceOf(NotConnectedError);
      // close() settles only once the old client is fully ended: a second down() would have come by then.
      await connector.close();
      expect(recorder.downs).toEqual([reason]);
    });

    it('reports nothing after close()', async () => {
      const { connector, recorder } = start(['in']);
      await connector.connect();
      const peer = await target.listen(topic('in'));
      await connector.close();
      const before = recorder.count;
      await target.send(topic('in'), 'after close');
      if (target.hasTopics) expect(await peer.next()).toBe('after close');
      expect(recorder.count).toBe(before);
      await expect(connector.connect()).rejects.toThrow(/closed/);
    });

    it('rejects publish with NotConnectedError while not connected', async () => {
      const { connector } = start(['in']);
      const message = { topic: topic('out'), payload: 'x', qos: 1 as const, retain: false };
      await expect(connector.publish(message)).rejects.toBeInstanceOf(NotConnectedError);
      await connector.connect();
      await connector.close();
      await expect(connector.publish(message)).rejects.toBeInstanceOf(NotConnectedError);
    });
  });
}

/** MQTT: the peer is an independent mqtt.js client on the same broker. */
async function mqttTarget(broker: Broker): Promise<ContractTarget> {
  const peer = await connectAsync({ ...broker.peerOptions, reconnectPeriod: 0, clientId: `peer-${randomUUID()}` });
  return {
    factory: createMqttConnector,
    hasTopics: true,
    spec: (topics) => mqttSpec(broker, topics, { clientId: `contract-${randomUUID()}` }),
    reportedTopic: (topic) => topic,
    send: async (topic, payload) => {
      await peer.publishAsync(topic, payload, { qos: 1 });
    },
    listen: async (topic) => {
      const queue = messageQueue(peer, topic);
      await peer.subscribeAsync(topic, { qos: 1 });
      return queue;
    },
    drop: async (spec) => {
      // A second client with the same id makes any broker hang up on the first.
      const clientId = (spec.config as { clientId: string }).clientId;
      const usurper = await connectAsync({ ...broker.peerOptions, reconnectPeriod: 0, clientId });
      await usurper.endAsync();
    },
    close: async () => {
      await peer.endAsync();
      await broker.close();
    },
  };
}

function messageQueue(client: MqttClient, topic: string): { next(): Promise<string> } {
  const arrived: string[] = [];
  const waiting: ((payload: string) => void)[] = [];
  client.on('message', (received, payload) => {
    if (received !== topic) return;
    const take = waiting.shift();
    if (take) take(payload.toString());
    else arrived.push(payload.toString());
  });
  return {
    next: () => {
      const ready = arrived.shift();
      return ready !== undefined ? Promise.resolve(ready) : within(new Promise((resolve) => waiting.push(resolve)), `a message on ${topic}`);
    },
  };
}

/** WebSocket: the peer is the test server; topics are only the URL's path. */
async function websocketTarget(tls: boolean): Promise<ContractTarget> {
  const server = await wsServer({ tls });
  return {
    factory: createWebsocketConnector,
    hasTopics: false,
    spec: (topics) => wsSpec(server, {}, topics),
    reportedTopic: () => WS_PATH,
    send: async (_topic, payload) => {
      server.send(payload);
    },
    listen: async () => {
      let next = server.received.length;
      return { next: async () => (await server.waitReceived(next++)).data.toString() };
    },
    drop: async () => {
      for (const client of server.clients) client.terminate();
    },
    close: () => server.close(),
  };
}

const mqttTransports: readonly Transport[] = ['mqtts', 'ws', 'wss'];

connectorContract('MQTT over tcp (the plain broker)', async () => mqttTarget(await plainBroker()));
for (const transport of mqttTransports) {
  connectorContract(`MQTT over ${transport} (aedes)`, async () => mqttTarget(await aedesBroker({ transport })));
}
connectorContract('WebSocket over ws', () => websocketTarget(false));
connectorContract('WebSocket over wss', () => websocketTarget(true));
connectorContract('Particle (test/peers/particle)', particleTarget);
connectorContract('SQS (fauxqs, test/peers/sqs)', sqsTarget);
connectorContract('Google Pub/Sub (test/peers/pubsub)', googlePubSubTarget);
connectorContract('Azure Event Hubs (test/peers/event-hubs)', eventHubsTarget);
