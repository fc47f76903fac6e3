/**
 * The reference side of the ingest scenarios: a plain MQTT subscriber on the
 * same broker, counting what the publisher's stream delivers to it.
 * mosquitto_sub (C, its own process, printing one line per message) when it
 * is installed; otherwise an mqtt.js subscriber inside the bench process.
 */
import type { MqttClient } from 'mqtt';
import { ArrivalCounter } from './arrivals.js';
import { connectMqtt, endMqtt, subscribe } from './mqtt-client.js';
import { findTool } from './mosquitto.js';
import { spawnChild } from './processes.js';

export interface ReferenceSubscriber {
  readonly description: string;
  /** The subscriber's own process, when it has one. */
  readonly pid: number | undefined;
  /** A fresh count of data messages from now on (the probes that proved the subscription are never counted). */
  count(): ArrivalCounter;
  stop(): Promise<void>;
}

interface Target {
  readonly host: string;
  readonly port: number;
  readonly url: string;
}

const PROBE = Buffer.from('probe');
const P = 0x70; // Probes start with "p"; the flood's payloads start with a digit.

/**
 * Subscribes to `filter` and resolves once a probe published to `probeTopic`
 * (which the filter must match) came through, i.e. once the subscription is
 * in place, so no message of the measured stream can be missed.
 */
export async function startReferenceSubscriber(target: Target, filter: string, probeTopic: string): Promise<ReferenceSubscriber> {
  let counter = new ArrivalCounter();
  let probed = false;
  const onLine = (first: number, now: number) => {
    if (first === P) probed = true;
    else counter.add(now);
  };
  const tool = findTool('mosquitto_sub');
  let stop: () => Promise<void>;
  let description: string;
  let pid: number | undefined;
  if (tool) {
    const lines = new LineSplitter(onLine);
    const child = spawnChild({
      name: 'mosquitto_sub',
      command: tool,
      args: ['-h', target.host, '-p', String(target.port), '-t', filter, '-q', '0', '-i', `bench-reference-${process.pid}`],
      stdout: (chunk) => lines.feed(chunk),
    });
    stop = () => child.stop().then(() => undefined);
    description = 'mosquitto_sub (its own process)';
    pid = child.pid;
  } else {
    const client = await connectMqtt(target.url, `bench-reference-${process.pid}`);
    client.on('message', (_topic, payload: Buffer) => onLine(payload[0] ?? 0, performance.now()));
    await subscribe(client, filter);
    stop = () => endMqtt(client);
    description = 'mqtt.js subscriber in the bench process (mosquitto_sub is not installed)';
  }
  await probeUntil(target.url, probeTopic, () => probed);
  return { description, pid, count: () => (counter = new ArrivalCounter()), stop };
}

async function probeUntil(url: string, topic: string, seen: () => boolean, timeoutMs = 10_000): Promise<void> {
  const prober: MqttClient = await connectMqtt(url, `bench-probe-${process.pid}`);
  try {
    const deadline = performance.now() + timeoutMs;
    while (!seen()) {
      if (performance.now() > deadline) throw new Error(`The reference subscriber did not receive a probe on ${topic} within ${timeoutMs / 1000} s`);
      prober.publish(topic, PROBE, { qos: 0 });
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    await endMqtt(prober);
  }
}

/** Calls back once per complete line with the line's first byte; works across chunk boundaries. */
class LineSplitter {
  private atStart = true;
  private first = 0;

  constructor(private readonly onLine: (first: number, now: number) => void) {}

  feed(chunk: Buffer): void {
    const now = performance.now();
    let i = 0;
    while (i < chunk.length) {
      if (this.atStart) {
        this.first = chunk[i]!;
        this.atStart = false;
      }
      const newline = chunk.indexOf(10, i);
      if (newline === -1) return;
      this.onLine(this.first, now);
      this.atStart = true;
      i = newline + 1;
    }
  }
}
