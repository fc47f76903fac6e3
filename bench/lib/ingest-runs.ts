/**
 * The two kinds of measurement bench:ingest makes: a flood (throughput of a
 * subscriber fed by the flood publisher as fast as the broker goes) and a
 * paced stream (end-to-end latency at a fixed rate, publisher and reader in
 * the bench process so both timestamps come from one clock).
 */
import type { MqttClient } from 'mqtt';
import { percentile, waitForArrivals, type ArrivalCounter } from './arrivals.js';
import { flood, type FloodSpec } from './flood.js';
import { CpuMeter } from './proc-stats.js';

export interface FloodRun {
  readonly sent: number;
  readonly received: number;
  /** msg/s from the first arrival to the last. */
  readonly rate: number;
  /** How long the broker took to read the whole stream from the publisher. */
  readonly publishMs: number;
  /** Share of one core each watched process used, over the time messages were arriving. */
  readonly cpu: Readonly<Record<string, number>>;
}

/** Floods and waits until the subscriber behind `counter` has everything, or has gone quiet. */
export async function measureFlood(counter: ArrivalCounter, spec: FloodSpec, watch: Readonly<Record<string, number>>): Promise<FloodRun> {
  const meters = Object.entries(watch).map(([name, pid]) => [name, new CpuMeter(pid)] as const);
  const bench = process.cpuUsage();
  let published = false;
  const result = flood(spec).finally(() => (published = true));
  // The idle clock starts once the publisher is done: before that, silence only means a slow start.
  await Promise.all([result, waitForArrivals(counter, spec.messages, () => published)]);
  // Over the stretch messages flowed: before the first one the processes idle while the publisher starts.
  const seconds = Math.max(counter.last - counter.first, 1) / 1000;
  const cpu: Record<string, number> = {};
  for (const [name, meter] of meters) cpu[name] = meter.used() / seconds;
  const used = process.cpuUsage(bench);
  cpu['bench process'] = (used.user + used.system) / 1e6 / seconds;
  return { sent: spec.messages, received: counter.count, rate: counter.rate(), publishMs: (await result).publishMs, cpu };
}

/** The same flood measured several times; the figures quoted are the median round's. */
export interface FloodSeries {
  readonly runs: readonly FloodRun[];
  /** The round with the median rate (the lower middle one for an even count). */
  readonly median: FloodRun;
  /** Over every round, so a loss in any round shows. */
  readonly sent: number;
  readonly received: number;
}

export async function repeatFlood(rounds: number, once: (round: number) => Promise<FloodRun>): Promise<FloodSeries> {
  const runs: FloodRun[] = [];
  for (let round = 0; round < rounds; round++) runs.push(await once(round));
  const byRate = [...runs].sort((a, b) => a.rate - b.rate);
  const sum = (value: (run: FloodRun) => number) => runs.reduce((n, run) => n + value(run), 0);
  return { runs, median: byRate[Math.floor((byRate.length - 1) / 2)]!, sent: sum((r) => r.sent), received: sum((r) => r.received) };
}

export interface LatencyRun {
  readonly sent: number;
  readonly received: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
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
export async function measureLatency(stream: PacedStream, arrivals: (record: (seq: number, sentAt: number) => void) => () => void): Promise<LatencyRun> {
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
  latencies.sort((a, b) => a - b);
  return { sent: expected, received, p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: latencies.at(-1) ?? Number.NaN };
}
