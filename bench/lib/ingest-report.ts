/** The table and the detail lines of bench:ingest. */
import type { FloodRun, FloodSeries } from './ingest-runs.js';
import type { FloodComparison, LatencyComparison } from './ingest-scenarios.js';
import { formatNumber, formatSeconds, type Column } from './report.js';

export interface Row {
  readonly scenario: string;
  readonly tributary: string;
  readonly reference: string;
  readonly ratio: string;
  readonly tributaryCpu: string;
  readonly referenceCpu: string;
  readonly lost: string;
  readonly target: string;
  readonly result: string;
}

export const COLUMNS: Column<Row>[] = [
  { header: 'scenario', cell: (r) => r.scenario },
  { header: 'Tributary', align: 'right', cell: (r) => r.tributary },
  { header: 'reference', align: 'right', cell: (r) => r.reference },
  { header: 'ratio', align: 'right', cell: (r) => r.ratio },
  { header: 'Tributary CPU µs/msg', align: 'right', cell: (r) => r.tributaryCpu },
  { header: 'reference CPU µs/msg', align: 'right', cell: (r) => r.referenceCpu },
  { header: 'lost (T / ref)', align: 'right', cell: (r) => r.lost },
  { header: 'target', align: 'right', cell: (r) => r.target },
  { header: 'result', cell: (r) => r.result },
];

const lost = (series: { sent: number; received: number }) => formatNumber(series.sent - series.received);
const ms = (value: number) => (Number.isFinite(value) ? `${value.toFixed(2)} ms` : '—');
const micros = (value: number | undefined) => (value === undefined ? '—' : value.toFixed(1));

/** The server's CPU per message: Tributary's, plus PostgreSQL's when it is the store. */
function serverCpu(cpu: Readonly<Record<string, number>>): string {
  const postgres = cpu.PostgreSQL;
  return postgres === undefined ? micros(cpu.Tributary) : `${micros(cpu.Tributary)} + PG ${micros(postgres)}`;
}

export function throughputRow(scenario: string, c: FloodComparison, target: number): Row {
  const ratio = c.tributary.median.rate / c.reference.median.rate;
  const complete = c.tributary.received === c.tributary.sent;
  return {
    scenario,
    tributary: `${formatNumber(c.tributary.median.rate)} msg/s`,
    reference: `${formatNumber(c.reference.median.rate)} msg/s`,
    ratio: `${ratio.toFixed(2)}×`,
    tributaryCpu: serverCpu(c.tributary.cpuPerMessage),
    referenceCpu: micros(c.reference.cpuPerMessage.mosquitto_sub),
    lost: `${lost(c.tributary)} / ${lost(c.reference)}`,
    target: `≥ ${target.toFixed(2)}×`,
    result: ratio >= target && complete ? 'PASS' : 'FAIL',
  };
}

export function latencyRows(c: LatencyComparison, p99TargetMs: number): Row[] {
  const common = { ratio: '—', lost: `${lost(c.tributary)} / ${lost(c.reference)}`, tributaryCpu: '', referenceCpu: '', target: '—', result: '—' };
  return [
    { ...common, scenario: '(c) latency p50 at 1,000 msg/s', tributary: ms(c.tributary.p50), reference: ms(c.reference.p50) },
    {
      ...common,
      scenario: '(c) latency p99 at 1,000 msg/s',
      tributary: ms(c.tributary.p99),
      reference: ms(c.reference.p99),
      tributaryCpu: serverCpu(c.tributary.cpuPerMessage),
      referenceCpu: micros(c.reference.cpuPerMessage.mosquitto_sub),
      target: `≤ ${p99TargetMs} ms`,
      result: c.tributary.p99 <= p99TargetMs && c.tributary.received === c.tributary.sent ? 'PASS' : 'FAIL',
    },
    { ...common, scenario: '(c) latency max', tributary: ms(c.tributary.max), reference: ms(c.reference.max) },
  ];
}

/** (h): the same server with per-integration metrics on and off; the ratio is CPU on ÷ CPU off. */
export function metricsRow(on: FloodSeries, off: FloodSeries, maxExtra: number): Row {
  const extra = on.cpuPerMessage.Tributary! / off.cpuPerMessage.Tributary! - 1;
  const complete = on.received === on.sent && off.received === off.sent;
  return {
    scenario: '(h) metrics per integration on (T) vs off (ref)',
    tributary: `${formatNumber(on.median.rate)} msg/s`,
    reference: `${formatNumber(off.median.rate)} msg/s`,
    ratio: `CPU ${(extra >= 0 ? '+' : '') + (extra * 100).toFixed(1)} %`,
    tributaryCpu: micros(on.cpuPerMessage.Tributary),
    referenceCpu: micros(off.cpuPerMessage.Tributary),
    lost: `${lost(on)} / ${lost(off)}`,
    target: `CPU ≤ +${(maxExtra * 100).toFixed(0)} %`,
    result: extra <= maxExtra && complete ? 'PASS' : 'FAIL',
  };
}

/** Each process's share of one core, and its CPU time per message delivered. */
const cpuLine = (run: FloodRun) =>
  Object.entries(run.cpu)
    .map(([name, share]) => `${name} ${(share * 100).toFixed(0)} %${run.cpuPerMessage[name] === undefined ? '' : ` (${micros(run.cpuPerMessage[name])} µs/msg)`}`)
    .join(', ');

export function seriesLines(name: string, series: FloodSeries): string[] {
  const rates = series.runs.map((run) => formatNumber(run.rate)).join(' / ');
  const cpu = series.runs.map((run) => serverCpu(run.cpuPerMessage)).join(' / ');
  const m = series.median;
  const lines = [`${name}: ${rates} msg/s; ${formatNumber(series.received)} of ${formatNumber(series.sent)} messages received`];
  if (series.runs[0]?.cpuPerMessage.Tributary !== undefined) lines.push(`    Tributary CPU µs/msg by round: ${cpu}`);
  lines.push(`    median round: the broker took the stream in ${formatSeconds(m.publishMs)}; CPU (share of one core while messages flowed): ${cpuLine(m)}`);
  return lines;
}

export function floodDetails(label: string, c: FloodComparison): string[] {
  const lines = [...seriesLines(`${label} reference (${c.referenceDescription})`, c.reference), ...seriesLines(`${label} Tributary`, c.tributary)];
  const lostInAll = c.tributary.sent - c.tributary.received;
  if (lostInAll > 0 || c.told.dropped > 0 || c.told.messagesLost > 0) {
    lines.push(`${label} Tributary: ${formatNumber(lostInAll)} messages never reached the reader; the stream told of ${formatNumber(c.told.dropped)} in \`dropped\` events and sent ${formatNumber(c.told.messagesLost)} \`messagesLost\` events`);
  }
  return lines;
}
