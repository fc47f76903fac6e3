/** mqtt.js clients of the bench process itself: probes, the latency publisher, reference subscribers. */
import type { Socket } from 'node:net';
import { connect, type MqttClient } from 'mqtt';

/** Connects once (no automatic reconnects) and resolves when the broker accepted. */
export function connectMqtt(url: string, clientId: string): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const client = connect(url, { clientId, clean: true, reconnectPeriod: 0, connectTimeout: 10_000, protocolVersion: 4 });
    client.once('connect', () => {
      // mqtt.js leaves Nagle on; one small PUBLISH per millisecond would then wait on delayed ACKs.
      (client.stream as Partial<Socket>).setNoDelay?.(true);
      client.removeListener('error', reject);
      client.on('error', () => {});
      resolve(client);
    });
    client.once('error', reject);
  });
}

export function subscribe(client: MqttClient, topic: string, qos: 0 | 1 = 0): Promise<void> {
  return new Promise((resolve, reject) => {
    client.subscribe(topic, { qos }, (err) => (err ? reject(err) : resolve()));
  });
}

export function endMqtt(client: MqttClient): Promise<void> {
  return new Promise((resolve) => client.end(true, {}, () => resolve()));
}
