/**
 * The two kinds of measurement bench:ingest makes: a flood (throughput of a
 * subscriber fed by the flood publisher as fast as the broker goes) and a
 * paced stream (end-to-end latency at a fixed rate, publisher and reader in
 * the bench process so both timestamps come from one clock).
 */
import type { MqttClient } from 'mqtt';
import { percentile, waitForArrivals, type ArrivalCounter } from './arrivals.js';
import { flood, type FloodSpec } from './flood.js';
import { CpuMeter, type CpuUse } from './proc-stats.js';

export interface FloodRun {
  readonly sent: number;
  readonly received: number;
  /** msg/s from the first arrival to the last. */
  readonly rate: number;
  /** How long the broker took to read the whole stream from the publisher (and, at QoS 1, acknowledge it). */
  readonly publishMs: number;
  /** Share of one core each watched process used, from the first arrival until the flood was over. */
  readonly cpu: Readonly<Record<string, number>>;
  /** CPU µs each watched process spent per message received, what it did after the last one included. */
  readonly cpuPerMessage: Readonly<Record<string, number>>;
}

/** The processes whose CPU a flood measures: a name and how to start metering it. */
export type Watch = Readonly<Record<string, () => CpuUse>>;

export const processWatch = (pids: Readonly<Record<string, number>>): Watch =>
  Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, () => new CpuMeter(pid)]));

/**
 * Waits until the meters stop moving (under 20 ms of CPU in 250 ms, at most
 * 5 s): work a message caused may end after it was delivered (pruning the
 * retained log, freeing buffers) and belongs to its cost.
 */
async function untilQuiet(meters: readonly CpuUse[]): Promise<void> {
  const total = () => meters.reduce((sum, meter) => sum + meter.used(), 0);
  const deadline = performance.now() + 5000;
  let last = total();
  while (performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    const now = total();
    if (now - last < 0.02) return;
    last = now;
  }
}

/** Floods and waits until the subscriber behind `counter` has everything, or has gone quiet. */
export async function measureFlood(counter: ArrivalCounter, spec: FloodSpec, watch: Watch): Promise<FloodRun> {
  const meters = Object.entries(watch).map(([name, start]) => [name, start()] as const);
  let published = false;
  const result = flood(spec).finally(() => (published = true));
  // The shares are over the stretch messages flowed: before the first one the processes idle while the publisher starts.
  while (counter.count === 0 && !published) await new Promise((resolve) => setTimeout(resolve, 5));
  const atFirst = meters.map(([, meter]) => meter.used());
  const firstAt = performance.now();
  const bench = process.cpuUsage();
  // The idle clock starts once the publisher is done: before that, silence only means a slow start.
  await Promise.all([result, waitForArrivals(counter, spec.messages, () => published)]);
  const atEnd = meters.map(([, meter]) => meter.used());
  const used = process.cpuUsage(bench);
  const seconds = (performance.now() - firstAt) / 1000;
  await untilQuiet(meters.map(([, meter]) => meter));
  const cpu: Record<string, number> = {};
  const cpuPerMessage: Record<string, number> = {};
  meters.forEach(([name, meter], i) => {
    cpu[name] = (atEnd[i]! - atFirst[i]!) / seconds;
    cpuPerMessage[name] = (meter.used() * 1e6) / Math.max(counter.count, 1);
  });
  cpu['bench process'] = (used.user + used.system) / 1e6 / seconds;
  return { sent: spec.messages, received: counter.count, rate: counter.rate(), publishMs: (await result).publishMs, cpu, cpuPerMessage };
}

/** The same flood measured several times; rates are quoted from the median round. */
export interface FloodSeries {
  readonly runs: readonly FloodRun[];
  /** The round with the median rate (the lower middle one for an even count). */
  readonly median: FloodRun;
  /** Each process's median CPU µs per message over the rounds, taken on its own (steadier than any one round). */
  readonly cpuPerMessage: Readonly<Record<string, number>>;
  /** Over every round, so a loss in any round shows. */
  readonly sent: number;
  readonly received: number;
}

const lowerMedian = (values: readonly number[]) => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)]!;

export function floodSeries(runs: readonly FloodRun[]): FloodSeries {
  const median = runs.find((run) => run.rate === lowerMedian(runs.map((r) => r.rate)))!;
  const cpuPerMessage = Object.fromEntries(Object.keys(median.cpuPerMessage).map((name) => [name, lowerMedian(runs.map((run) => run.cpuPerMessage[name]!))]));
  const sum = (value: (run: FloodRun) => number) => runs.reduce((n, run) => n + value(run), 0);
  return { runs, median, cpuPerMessage, sent: sum((r) => r.sent), received: sum((r) => r.received) };
}

export async function repeatFlood(rounds: number, once: (round: number) => Promise<FloodRun>): Promise<FloodSeries> {
  const runs: FloodRun[] = [];
  for (let round = 0; round < rounds; round++) runs.push(await once(round));
  return floodSeries(runs);
}

export interface LatencyRun {
  readonly sent: number;
  readonly received: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  /** CPU µs each watched process spent per message published, warm-up included. */
  readonly cpuPerMessage: Readonly<Record<string, number>>;
}

export interface PacedStream {
  readonly publisher: MqttClient;
  readonly topic: string;
  readonly rate: number;
  readonly seconds: number;
  /** Leading seconds left out of the figures (connections and JIT warming up). */
  readonly warmupSeconds: number;
  readonly payloadBytes: number;
}

/** The payload of message `seq`: its number and send time (performance.now(), ms), padded. */
export function timedPayload(seq: number, sentAt: number, bytes: number): string {
  return `${seq} ${sentAt.toFixed(3)} `.padEnd(bytes, 'x');
}

/** Reads `seq` and the send time back out of a payload made by timedPayload; undefined for anything else. */
export function parseTimedPayload(payload: string): { seq: number; sentAt: number } | undefined {
  const [seq, sentAt] = payload.split(' ', 2).map(Number);
  return seq === undefined || sentAt === undefined || Number.isNaN(seq) || Number.isNaN(sentAt) ? undefined : { seq, sentAt };
}

/**
 * Publishes at a fixed rate and lets `arrivals` collect (seq, latency)
 * pairs through the `record` callback it is handed; returns the percentiles
 * of the messages after the warm-up.
 */
export async function measureLatency(stream: PacedStream, watch: Watch, arrivals: (record: (seq: number, sentAt: number) => void) => () => void): Promise<LatencyRun> {
  const meters = Object.entries(watch).map(([name, start]) => [name, start()] as const);
  const latencies: number[] = [];
  const skip = Math.round(stream.rate * stream.warmupSeconds);
  let received = 0;
  const detach = arrivals((seq, sentAt) => {
    const now = performance.now();
    if (seq < skip) return;
    received += 1;
    latencies.push(now - sentAt);
  });
  const total = Math.round(stream.rate * stream.seconds);
  const start = performance.now();
  let seq = 0;
  // One check per timer tick (about a millisecond): each due message goes out as soon as it is due.
  while (seq < total) {
    const due = Math.min(total, Math.floor(((performance.now() - start) * stream.rate) / 1000) + 1);
    while (seq < due) {
      stream.publisher.publish(stream.topic, timedPayload(seq, performance.now(), stream.payloadBytes), { qos: 0 });
      seq += 1;
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  const expected = total - skip;
  const deadline = performance.now() + 5000;
  while (received < expected && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  detach();
  const cpuPerMessage = Object.fromEntries(meters.map(([name, meter]) => [name, (meter.used() * 1e6) / total]));
  latencies.sort((a, b) => a - b);
  return { sent: expected, received, p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: latencies.at(-1) ?? Number.NaN, cpuPerMessage };
}
