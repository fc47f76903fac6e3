/**
 * npm run bench:ingest — messages from an MQTT broker through Tributary to
 * SSE readers, next to a plain MQTT subscriber on the same broker and the
 * same publisher stream, measured in the same run.
 */
import path from 'node:path';
import { login } from './lib/api-client.js';
import { installSignalHandlers } from './lib/cleanup.js';
import { runBench } from './lib/run.js';
import { parseFlags, positiveInteger } from './lib/cli.js';
import type { FloodRun, FloodSeries } from './lib/ingest-runs.js';
import { fanOut, latency, singleIntegration, type FloodComparison, type IngestContext, type LatencyComparison } from './lib/ingest-scenarios.js';
import { Broker } from './lib/mosquitto.js';
import { formatNumber, formatSeconds, machineFacts, renderFacts, renderTable, summarizeLogLine, type Column } from './lib/report.js';
import { ensureBuilt, serverCommand, startTributary } from './lib/tributary.js';

const USAGE = `Usage: npm run bench:ingest -- [options]

Starts a Mosquitto broker of its own and Tributary (node dist/cli/main.js
serve, SQLite, default settings), then measures:
  (a)+(b) a flood of QoS 0 messages on one topic, as fast as the broker takes
          them, received by a plain subscriber (mosquitto_sub) and by one
          Tributary MQTT integration read through its messageStream (SSE);
  (c)     end-to-end latency at 1,000 msg/s, publisher and readers in the
          bench process, through Tributary and through a plain subscriber;
  (d)     the flood spread over 1,000 topics: one subscriber on bench/# versus
          1,000 integrations read through the application's
          integrationMessageStream.

Options:
  --messages <n>   messages per flood (default 200000)
  --rounds <n>     times each flood is measured; the median round is quoted
                   and every round's loss is counted (default 3)
  --profile <dir>  run Tributary with node --cpu-prof; the .cpuprofile of the
                   whole run is written into <dir> when it stops
  -h, --help       show this help

Exits 0 when every scenario ran (a missed target is a finding, not an error);
1 when the run failed.`;

const PAYLOAD_BYTES = 100;
const FAN_OUT = 1000;
const TARGETS = { single: 0.7, fanOut: 0.5, p99Ms: 5 };

interface Row {
  readonly scenario: string;
  readonly tributary: string;
  readonly reference: string;
  readonly ratio: string;
  readonly lost: string;
  readonly target: string;
  readonly result: string;
}

const COLUMNS: Column<Row>[] = [
  { header: 'scenario', cell: (r) => r.scenario },
  { header: 'Tributary', align: 'right', cell: (r) => r.tributary },
  { header: 'reference', align: 'right', cell: (r) => r.reference },
  { header: 'ratio', align: 'right', cell: (r) => r.ratio },
  { header: 'lost (Tributary / reference)', align: 'right', cell: (r) => r.lost },
  { header: 'target', align: 'right', cell: (r) => r.target },
  { header: 'result', cell: (r) => r.result },
];

const progress = (line: string) => process.stderr.write(`${line}\n`);
const lost = (series: FloodSeries) => series.sent - series.received;
const ms = (value: number) => (Number.isFinite(value) ? value.toFixed(2) : '—');

function throughputRow(scenario: string, c: FloodComparison, target: number): Row {
  const ratio = c.tributary.median.rate / c.reference.median.rate;
  return {
    scenario,
    tributary: `${formatNumber(c.tributary.median.rate)} msg/s`,
    reference: `${formatNumber(c.reference.median.rate)} msg/s`,
    ratio: `${ratio.toFixed(2)}×`,
    lost: `${formatNumber(lost(c.tributary))} / ${formatNumber(lost(c.reference))}`,
    target: `≥ ${target.toFixed(1)}×`,
    result: ratio >= target ? 'PASS' : 'FAIL',
  };
}

function latencyRows(c: LatencyComparison): Row[] {
  const lostOf = (run: { sent: number; received: number }) => formatNumber(run.sent - run.received);
  const common = { ratio: '—', lost: `${lostOf(c.tributary)} / ${lostOf(c.reference)}` };
  return [
    { scenario: '(c) latency p50 at 1,000 msg/s', tributary: `${ms(c.tributary.p50)} ms`, reference: `${ms(c.reference.p50)} ms`, ...common, target: '—', result: '—' },
    {
      scenario: '(c) latency p99 at 1,000 msg/s',
      tributary: `${ms(c.tributary.p99)} ms`,
      reference: `${ms(c.reference.p99)} ms`,
      ...common,
      target: `≤ ${TARGETS.p99Ms} ms`,
      result: c.tributary.p99 <= TARGETS.p99Ms && c.tributary.received === c.tributary.sent ? 'PASS' : 'FAIL',
    },
    { scenario: '(c) latency max', tributary: `${ms(c.tributary.max)} ms`, reference: `${ms(c.reference.max)} ms`, ...common, target: '—', result: '—' },
  ];
}

/** Each process's share of one core, and that as CPU time per message delivered. */
const cpuLine = (run: FloodRun) =>
  Object.entries(run.cpu)
    .map(([name, share]) => `${name} ${(share * 100).toFixed(0)} % (${((share * 1e6) / run.rate).toFixed(1)} µs/msg)`)
    .join(', ');

function seriesLines(name: string, series: FloodSeries): string[] {
  const rates = series.runs.map((run) => formatNumber(run.rate)).join(' / ');
  const m = series.median;
  return [
    `${name}: ${rates} msg/s; ${formatNumber(series.received)} of ${formatNumber(series.sent)} messages received`,
    `    median round: the broker read the stream in ${formatSeconds(m.publishMs)}; CPU (share of one core): ${cpuLine(m)}`,
  ];
}

function floodDetails(label: string, c: FloodComparison): string[] {
  const lines = [...seriesLines(`${label} reference (${c.referenceDescription})`, c.reference), ...seriesLines(`${label} Tributary`, c.tributary)];
  if (c.dropped > 0) lines.push(`${label} Tributary announced ${formatNumber(c.dropped)} dropped events (its SSE buffer overflowed for the reader)`);
  return lines;
}

async function main(argv: readonly string[]): Promise<number> {
  const flags = parseFlags(argv, { messages: { type: 'string' }, rounds: { type: 'string' }, profile: { type: 'string' }, help: { type: 'boolean', short: 'h' } });
  if (flags.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const messages = positiveInteger('--messages', flags.messages, 200_000);
  const rounds = positiveInteger('--rounds', flags.rounds, 3);
  const profileDir = flags.profile === undefined ? undefined : path.resolve(flags.profile);
  installSignalHandlers();
  const machine = machineFacts();

  await ensureBuilt(progress);
  progress('Starting a Mosquitto broker of its own and Tributary…');
  const broker = await Broker.start();
  const tributary = await startTributary({ store: 'sqlite', nodeArgs: profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : [] });
  const user = await login(tributary.url, tributary.adminEmail, tributary.adminPassword);
  const ctx: IngestContext = { broker, tributary, user, messages, rounds, payloadBytes: PAYLOAD_BYTES, progress };

  const single = await singleIntegration(ctx);
  const timing = await latency(ctx, single.app, single.integrationId);
  const fan = await fanOut(ctx, FAN_OUT);
  if (!tributary.child.isRunning()) throw new Error('Tributary exited during the run');

  const rows = [
    throughputRow('(a)/(b) 1 topic → 1 integration → messageStream', single, TARGETS.single),
    ...latencyRows(timing),
    throughputRow(`(d) ${formatNumber(FAN_OUT)} topics → ${formatNumber(FAN_OUT)} integrations → integrationMessageStream`, fan, TARGETS.fanOut),
  ];
  const settings = Object.entries(tributary.settings)
    .filter(([name]) => name !== 'DATA_DIR' && name !== 'PORT')
    .map(([name, value]) => `${name}=${value}`)
    .join(' ');
  const out = [
    '',
    'Tributary ingest benchmark',
    '',
    renderFacts({
      ...machine,
      Broker: `Mosquitto (${broker.url}), its own process: ${broker.settings}`,
      Server: `${serverCommand(profileDir ? ['--cpu-prof'] : [])}, ${tributary.storeDescription}, ${settings}, every other setting at its default`,
      Publisher: `its own process writing ${formatNumber(messages)} pre-encoded QoS 0 PUBLISH packets of ${PAYLOAD_BYTES}-byte payloads as fast as the broker reads them (same stream for Tributary and the reference)`,
      Readers: 'raw http.get in the bench process counting `event: integrationMessage` blocks; reference as named below',
      Rates: `messages received ÷ time from the first message received to the last; each flood ${rounds} times (all reference rounds, then all Tributary rounds), the median round quoted`,
      Latency: '1,000 msg/s for 11 s from mqtt.js in the bench process, the first second left out; publish → SSE event parsed (Tributary) or mqtt.js message event (reference)',
    }),
    '',
    renderTable(COLUMNS, rows),
    '',
    ...floodDetails('(a)/(b)', single),
    ...floodDetails('(d)', fan),
    `(d) ${formatNumber(FAN_OUT)} integrations created in ${formatSeconds(fan.createMs)}; the API showed all connected ${formatSeconds(fan.connectMs)} after the first POST`,
  ];
  const logLines = tributary.child.outputLines();
  if (logLines > 0) {
    const last = tributary.child.tail().split('\n').slice(-5).map((line) => `  ${summarizeLogLine(line)}`);
    out.push('', `Tributary wrote ${logLines} log lines at LOG_LEVEL=warn; the last ${last.length}:`, ...last);
  }
  if (profileDir) out.push('', `Tributary's CPU profile is written into ${profileDir} as it stops.`);
  process.stdout.write(`${out.join('\n')}\n`);
  return 0;
}

await runBench('bench:ingest', main);
