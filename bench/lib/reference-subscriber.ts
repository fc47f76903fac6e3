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

export interface ReferenceOptions {
  /** The subscription's QoS (default 0). */
  readonly qos?: 0 | 1;
  /** The CPU core mosquitto_sub runs on (taskset -c); any when undefined. */
  readonly core?: number;
  /** Called with each data message's payload, for a latency run (a string per message: not for floods). */
  readonly onPayload?: (payload: string, now: number) => void;
}

const PROBE = Buffer.from('probe');
const P = 0x70; // Probes start with "p"; the flood's payloads start with a digit.

/**
 * Subscribes to `filter` and resolves once a probe published to `probeTopic`
 * (which the filter must match) came through, i.e. once the subscription is
 * in place, so no message of the measured stream can be missed.
 */
export async function startReferenceSubscriber(target: Target, filter: string, probeTopic: string, options: ReferenceOptions = {}): Promise<ReferenceSubscriber> {
  const qos = options.qos ?? 0;
  let counter = new ArrivalCounter();
  let probed = false;
  const onLine = (data: Buffer, start: number, end: number, now: number) => {
    if (data[start] === P) probed = true;
    else {
      counter.add(now);
      options.onPayload?.(data.toString('latin1', start, end), now);
    }
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
      args: ['-h', target.host, '-p', String(target.port), '-t', filter, '-q', String(qos), '-i', `bench-reference-${process.pid}`],
      stdout: (chunk) => lines.feed(chunk),
      core: options.core,
    });
    stop = () => child.stop().then(() => undefined);
    description = `mosquitto_sub -q ${qos} (its own process${options.core === undefined ? '' : `, core ${options.core}`})`;
    pid = child.pid;
  } else {
    const client = await connectMqtt(target.url, `bench-reference-${process.pid}`);
    client.on('message', (_topic, payload: Buffer) => onLine(payload, 0, payload.length, performance.now()));
    await subscribe(client, filter, qos);
    stop = () => endMqtt(client);
    description = `mqtt.js subscriber at QoS ${qos} in the bench process (mosquitto_sub is not installed)`;
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

/** Calls back once per complete line with where it lies in `data`; works across chunk boundaries. */
class LineSplitter {
  /** The start of a line the last chunk ended in the middle of. */
  private carry: Buffer | undefined;

  constructor(private readonly onLine: (data: Buffer, start: number, end: number, now: number) => void) {}

  feed(chunk: Buffer): void {
    const now = performance.now();
    const data = this.carry ? Buffer.concat([this.carry, chunk]) : chunk;
    let start = 0;
    for (let newline = data.indexOf(10); newline !== -1; newline = data.indexOf(10, start)) {
      this.onLine(data, start, newline, now);
      start = newline + 1;
    }
    this.carry = start < data.length ? data.subarray(start) : undefined;
  }
}
