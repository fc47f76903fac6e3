import { randomBytes } from 'node:crypto';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectorEvents, ReceivedMessage } from '../../../src/runtime/connector.js';
import { createMqttConnector } from '../../../src/runtime/connectors/mqtt/connector.js';
import { mqttSpec, plainBroker, type Broker } from '../../support/mqtt-brokers.js';
import { waitFor } from '../../support/wait.js';

const OPTIONS = { connectTimeoutMs: 3000, keepaliveSeconds: 5 };

/** SPEC §6: a QoS 1 message is acknowledged to the broker only when the supervisor says it is retained. */
describe('MQTT acknowledgement after retention', () => {
  let broker: Broker;
  let peer: mqtt.MqttClient;
  beforeAll(async () => {
    broker = await plainBroker();
    peer = await mqtt.connectAsync({ ...broker.peerOptions, reconnectPeriod: 0 });
  });
  afterAll(async () => {
    await peer?.endAsync();
    await broker?.close();
  });

  /** Records messages; acknowledges them at once when `acking` (as the supervisor does once they are retained). */
  function holding(received: ReceivedMessage[], acking = false): ConnectorEvents {
    return {
      down: () => {},
      alive: () => {},
      subscriptionsRefused: () => {},
      message: (m) => {
        received.push(m);
        if (acking) m.ack?.();
      },
    };
  }

  it('subscribes at QoS 1 and sends the PUBACK only on ack(): an unacknowledged message comes back to a persistent session', async () => {
    const topic = `tributary-ack/${randomBytes(4).toString('hex')}`;
    const spec = mqttSpec(broker, [topic], { clean: false, clientId: `tributary-ack-${randomBytes(4).toString('hex')}` });

    const first: ReceivedMessage[] = [];
    const connector = createMqttConnector(spec, holding(first), OPTIONS);
    await connector.connect();
    await peer.publishAsync(topic, 'kept', { qos: 1 });
    await waitFor(() => first[0], 'the first message');
    expect(first[0]!.ack).toBeTypeOf('function');
    first[0]!.ack!();
    await peer.publishAsync(topic, 'not kept', { qos: 1 });
    await waitFor(() => first[1], 'the second message');
    // Not acknowledged: Tributary could not keep it (a crash, the store down).
    await connector.close();

    const second: ReceivedMessage[] = [];
    // The broker redelivers at once, before the SUBACK: until that message is acknowledged mqtt.js reads nothing further.
    const again = createMqttConnector(spec, holding(second, true), OPTIONS);
    await again.connect();
    await waitFor(() => second[0], 'the redelivered message');
    expect(second.map((m) => m.payload.toString())).toEqual(['not kept']);
    await again.close();

    // Acknowledged now: a third session gets nothing more.
    const third: ReceivedMessage[] = [];
    const last = createMqttConnector(spec, holding(third), OPTIONS);
    await last.connect();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(third).toEqual([]);
    // A clean session forgets the subscription on the broker.
    await last.close();

    // While messages wait for retention the connection goes on reading: the broker's in-flight window is in use.
    const waiting: ReceivedMessage[] = [];
    const reading = createMqttConnector(spec, holding(waiting), OPTIONS);
    await reading.connect();
    for (let i = 0; i < 10; i++) await peer.publishAsync(topic, `w${i}`, { qos: 1 });
    await waitFor(() => (waiting.length === 10 ? true : undefined), 'ten messages before any acknowledgement');
    for (const m of waiting) m.ack!();
    await reading.close();
    const cleanup = await mqtt.connectAsync({ ...broker.peerOptions, clientId: spec.config.clientId as string, clean: true, reconnectPeriod: 0 });
    await cleanup.endAsync();
  });
});
