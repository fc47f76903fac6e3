import { randomBytes } from 'node:crypto';
import mqtt from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import { plainBroker } from '../support/mqtt-brokers.js';
import { waitFor } from '../support/wait.js';
import { DrillServer, storeLegs } from './server-process.js';

/** Fewer than Mosquitto's default queue for an offline client (1,000), so the broker drops none while Tributary is down. */
const TOTAL = 600;

/**
 * SPEC §6 drill (a): a publisher sends QoS 1 messages to Tributary's
 * persistent session while Tributary is killed with SIGKILL halfway and
 * started again. Every message must be in the `messages` collection
 * (duplicates allowed, none missing): nothing the broker was told was
 * delivered may be lost.
 */
describe.each(storeLegs())('kill -9 during QoS 1 delivery on $name', (leg) => {
  const server = new DrillServer(leg.env());
  afterAll(async () => {
    await server.destroy();
    await leg.cleanup();
  });

  it('keeps every message the broker handed over', async () => {
    const broker = await plainBroker();
    await server.start();
    const topic = `tributary-drill/${randomBytes(4).toString('hex')}`;
    const integration = await server.integration({
      integrationType: 'mqtt',
      topics: [`${topic}/#`],
      mqttConfig: { host: broker.host, port: broker.port, protocol: 'mqtt', clean: false, clientId: `tributary-drill-${randomBytes(4).toString('hex')}` },
    });

    const publisher = await mqtt.connectAsync({ ...broker.peerOptions, reconnectPeriod: 0 });
    let killed: Promise<unknown> = Promise.resolve();
    // Each publish resolves once the broker acknowledged it: from then on it must not be lost.
    for (let i = 0; i < TOTAL; i++) {
      await publisher.publishAsync(`${topic}/n`, String(i), { qos: 1 });
      if (i === TOTAL / 2) killed = server.stop('SIGKILL');
    }
    await publisher.endAsync();
    await killed;
    await server.start();

    const kept = await waitFor(
      async () => {
        const numbers = new Set((await server.retained(integration)).map((m) => Number(m.message)));
        return numbers.size === TOTAL ? numbers : undefined;
      },
      'every message in the collection',
      30_000,
      250,
    );
    expect(kept.size).toBe(TOTAL);
    await broker.close();
  }, 120_000);
});
