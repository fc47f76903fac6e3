import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMqttConnector } from '../../src/runtime/connectors/mqtt/connector.js';
import { probeConnection } from '../../src/runtime/probe.js';
import { mqttSpec, plainBroker, type Broker } from '../support/mqtt-brokers.js';
import { recordEvents } from '../support/wait.js';

const OPTIONS = { connectTimeoutMs: 3000, keepaliveSeconds: 5 };

/** A probe takes over nothing of a live integration (SPEC §9: it stores nothing, and it must disturb nothing). */
describe('probe isolation', () => {
  let broker: Broker;
  beforeAll(async () => {
    broker = await plainBroker();
  });
  afterAll(async () => broker?.close());

  it('does not kick a live MQTT connection with the same client id off the broker, nor take its session', async () => {
    const clientId = `tributary-live-${randomBytes(4).toString('hex')}`;
    const spec = mqttSpec(broker, [`probe-isolation/${clientId}`], { clientId, clean: false });
    const live = recordEvents();
    const connector = createMqttConnector(spec, live.events, OPTIONS);
    await connector.connect();
    const result = await probeConnection(spec, { mqtt: createMqttConnector }, { ...OPTIONS, probe: true });
    expect(result).toMatchObject({ success: true });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(live.downs).toEqual([]);
    await connector.close();
  });
});
