/**
 * The broker's own count of connected clients ($SYS/broker/clients/connected,
 * needs sys_interval). Watching it costs Tributary nothing, unlike listing
 * 10,000 integrations through its API every second, so the scale benchmark
 * waits on it first and asks the API only once the broker agrees; it also
 * checks the API's "connected" against the other end of the sockets.
 */
import type { MqttClient } from 'mqtt';
import { connectMqtt, endMqtt, subscribe } from './mqtt-client.js';

const TOPIC = '$SYS/broker/clients/connected';

export class ClientCountWatch {
  /** Connected clients other than the watcher itself; undefined until the broker published the value. */
  count: number | undefined;

  private constructor(private readonly client: MqttClient) {
    client.on('message', (_topic, payload: Buffer) => {
      // Mosquitto counts the watcher's own connection too.
      this.count = Number(payload.toString('utf8')) - 1;
    });
  }

  static async start(url: string): Promise<ClientCountWatch> {
    const client = await connectMqtt(url, `bench-sys-${process.pid}`);
    const watch = new ClientCountWatch(client);
    await subscribe(client, TOPIC);
    return watch;
  }

  /**
   * Resolves once the broker reports at least `target` other clients.
   * Mosquitto publishes the value when it changes, at most once per
   * sys_interval, so this lags the truth by up to that interval.
   */
  async until(target: number, timeoutMs: number, progress: (count: number | undefined) => void): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let lastPrinted = Date.now();
    while ((this.count ?? 0) < target) {
      if (Date.now() > deadline) throw new Error(`The broker saw ${this.count ?? 'no'} of ${target} clients connected after ${timeoutMs / 1000} s.`);
      if (Date.now() - lastPrinted >= 2000) {
        progress(this.count);
        lastPrinted = Date.now();
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** The latest value after one more publication interval, so it counts everything up to now. */
  async settled(sysIntervalSeconds: number): Promise<number | undefined> {
    await new Promise((resolve) => setTimeout(resolve, sysIntervalSeconds * 1500));
    return this.count;
  }

  stop(): Promise<void> {
    return endMqtt(this.client);
  }
}
