/**
 * npm run bench:ingest — messages from an MQTT broker through Tributary to
 * SSE readers, next to a plain MQTT subscriber on the same broker and the
 * same publisher stream, measured in the same run.
 */
import path from 'node:path';
import { installSignalHandlers } from './lib/cleanup.js';
import { oneOf, parseFlags, positiveInteger } from './lib/cli.js';
import { pinBench } from './lib/cores.js';
import { COLUMNS, floodDetails, latencyRows, metricsRow, seriesLines, throughputRow, type Row } from './lib/ingest-report.js';
import { fanOut, latency, pairedFlood, singleFlood, startServer, type IngestContext, type Server } from './lib/ingest-scenarios.js';
import { Broker } from './lib/mosquitto.js';
import { formatNumber, formatSeconds, machineFacts, renderFacts, renderTable, summarizeLogLine } from './lib/report.js';
import { runBench } from './lib/run.js';
import { ensureBuilt, serverCommand } from './lib/tributary.js';

const SCENARIOS = ['a', 'c', 'd', 'e', 'f', 'g', 'h'] as const;
type ScenarioId = (typeof SCENARIOS)[number];

const PAYLOAD_BYTES = 100;
const QOS1_MESSAGES = 50_000;

const USAGE = `Usage: npm run bench:ingest -- [options]

Starts a Mosquitto broker of its own and Tributary (as npm start does, on a
fresh store, default settings unless named), Tributary on one core and the
broker, the publisher and the readers on the other, then measures:
  (a) a flood of QoS 0 messages on one topic, as fast as the broker takes
      them, received by mosquitto_sub (on Tributary's core) and by one
      Tributary MQTT integration read through its messageStream (SSE);
  (c) end-to-end latency at 1,000 msg/s, publisher and readers in the bench
      process, through Tributary and through mosquitto_sub;
  (d) the flood spread over 1,000 topics: mosquitto_sub on bench/# versus
      1,000 integrations read through the application's
      integrationMessageStream;
  (e) (a) at QoS 1: the publisher publishes at QoS 1, Tributary acknowledges
      each message once it is retained; against mosquitto_sub -q 1 (at most
      ${QOS1_MESSAGES.toLocaleString('en-US')} messages per flood, so a slow path stays bounded);
  (f) (a) with Tributary on PostgreSQL (BENCH_DATABASE_URL or
      127.0.0.1:5432/test, a fresh schema dropped at the end);
  (g) (a) with retention off (MESSAGE_RETENTION_COUNT=0);
  (h) Tributary's CPU per message with per-integration metrics on and off
      (METRICS_PER_INTEGRATION=false), the (a) flood, rounds alternating.
Retention is on (the default) everywhere but (g). Every scenario prints the
server's CPU time per message next to the reference's.

Options:
  --scenario <id>  run only this scenario: ${SCENARIOS.join(', ')} (default all)
  --messages <n>   messages per flood (default 200000)
  --rounds <n>     times each flood is measured; the median is quoted and every
                   round's loss is counted (default 3)
  --profile <dir>  run Tributary with node --cpu-prof; each server's .cpuprofile
                   is written into <dir> when it stops
  -h, --help       show this help

Exits 0 when every scenario ran (a missed target is a finding, not an error);
1 when the run failed.`;

const FAN_OUT = 1000;
/** Issue 9 (throughput ratios and p99), issue 12 (metrics: "small", read here as at most 10 % more CPU). */
const TARGETS = { a: 0.5, d: 0.4, e: 0.3, f: 0.25, g: 0.7, p99Ms: 10, metricsExtra: 0.1 };

const progress = (line: string) => process.stderr.write(`${line}\n`);

async function main(argv: readonly string[]): Promise<number> {
  const flags = parseFlags(argv, { scenario: { type: 'string' }, messages: { type: 'string' }, rounds: { type: 'string' }, profile: { type: 'string' }, help: { type: 'boolean', short: 'h' } });
  if (flags.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const only = flags.scenario === undefined ? undefined : oneOf('--scenario', flags.scenario, SCENARIOS, 'a');
  const want = (id: ScenarioId) => only === undefined || only === id;
  const messages = positiveInteger('--messages', flags.messages, 200_000);
  const rounds = positiveInteger('--rounds', flags.rounds, 3);
  const profileDir = flags.profile === undefined ? undefined : path.resolve(flags.profile);
  installSignalHandlers();
  const machine = machineFacts();

  await ensureBuilt(progress);
  const pinning = pinBench();
  progress('Starting a Mosquitto broker of its own…');
  const broker = await Broker.start();
  const nodeArgs = profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : [];
  const ctx: IngestContext = { broker, messages, rounds, payloadBytes: PAYLOAD_BYTES, serverCore: pinning.serverCore, nodeArgs, progress };

  const rows: Row[] = [];
  const details: string[] = [];
  const logs: string[] = [];
  const done = async (server: Server, label: string) => {
    if (!server.tributary.child.isRunning()) throw new Error(`Tributary (${label}) exited during the run`);
    const lines = server.tributary.child.outputLines();
    if (lines > 0) logs.push(`Tributary (${label}) wrote ${lines} log lines at LOG_LEVEL=warn; the last ones:`, ...server.tributary.child.tail().split('\n').slice(-3).map((l) => `  ${summarizeLogLine(l)}`));
    await server.tributary.child.stop();
  };
  const single = async (id: ScenarioId, title: string, server: Server, qos: 0 | 1, target: number) => {
    progress(`(${id}) ${title}`);
    const c = await singleFlood(qos === 1 ? { ...ctx, messages: Math.min(messages, QOS1_MESSAGES) } : ctx, server, qos);
    rows.push(throughputRow(`(${id}) ${title}`, c, target));
    details.push(...floodDetails(`(${id})`, c));
  };

  if (want('a') || want('c') || want('d') || want('e')) {
    progress('Starting Tributary (SQLite, retention on)…');
    const server = await startServer(ctx, 'sqlite');
    if (want('a')) await single('a', '1 topic → 1 integration → messageStream, QoS 0', server, 0, TARGETS.a);
    if (want('c')) {
      progress('(c) latency at 1,000 msg/s');
      rows.push(...latencyRows(await latency(ctx, server), TARGETS.p99Ms));
    }
    if (want('e')) await single('e', '(a) at QoS 1, acknowledged once retained', server, 1, TARGETS.e);
    if (want('d')) {
      // Last on this server: its 1,000 integrations would otherwise stay connected through the other scenarios.
      const title = `${formatNumber(FAN_OUT)} topics → ${formatNumber(FAN_OUT)} integrations → integrationMessageStream`;
      progress(`(d) ${title}`);
      const fan = await fanOut(ctx, server, FAN_OUT);
      rows.push(throughputRow(`(d) ${title}`, fan, TARGETS.d));
      details.push(...floodDetails('(d)', fan), `(d) ${formatNumber(FAN_OUT)} integrations created in ${formatSeconds(fan.createMs)}; the API showed all connected ${formatSeconds(fan.connectMs)} after the first POST`);
    }
    await done(server, 'SQLite');
  }
  if (want('h')) {
    // Two fresh servers, so neither has the other's history (JIT, a full retained log) to its advantage.
    progress('(h) metrics per integration on vs off: starting Tributary twice (default, METRICS_PER_INTEGRATION=false)…');
    const on = await startServer(ctx, 'sqlite');
    const off = await startServer(ctx, 'sqlite', { METRICS_PER_INTEGRATION: 'false' });
    const [onSeries, offSeries] = await pairedFlood(ctx, [on, off]);
    await done(on, 'metrics on');
    await done(off, 'METRICS_PER_INTEGRATION=false');
    rows.push(metricsRow(onSeries, offSeries, TARGETS.metricsExtra));
    details.push(...seriesLines('(h) metrics on', onSeries), ...seriesLines('(h) metrics off', offSeries));
  }
  if (want('f')) {
    progress('Starting Tributary (PostgreSQL, a fresh schema)…');
    const server = await startServer(ctx, 'postgres');
    await single('f', '(a) on PostgreSQL', server, 0, TARGETS.f);
    details.push(`(f) store: ${server.tributary.storeDescription}`);
    await done(server, 'PostgreSQL');
  }
  if (want('g')) {
    progress('Starting Tributary (SQLite, MESSAGE_RETENTION_COUNT=0)…');
    const server = await startServer(ctx, 'sqlite', { MESSAGE_RETENTION_COUNT: '0' });
    await single('g', '(a) with retention off', server, 0, TARGETS.g);
    await done(server, 'retention off');
  }

  rows.sort((x, y) => x.scenario.slice(0, 3).localeCompare(y.scenario.slice(0, 3)));
  const out = [
    '',
    'Tributary ingest benchmark',
    '',
    renderFacts({
      ...machine,
      Cores: pinning.description,
      Broker: `Mosquitto (${broker.url}), its own process: ${broker.settings}`,
      Server: `${serverCommand(profileDir ? ['--cpu-prof'] : [], pinning.serverCore)}, a fresh SQLite DATA_DIR (PostgreSQL schema for f), LOG_LEVEL=warn, every other setting at its default unless the scenario names it`,
      Publisher: `its own process writing ${formatNumber(messages)} pre-encoded PUBLISH packets of ${PAYLOAD_BYTES}-byte payloads as fast as the broker reads them, at QoS 0 (e: QoS 1, at most ${formatNumber(Math.min(messages, QOS1_MESSAGES))}); the same stream for Tributary and the reference`,
      Readers: 'raw http.get in the bench process counting `event: integrationMessage` blocks; the reference\'s stdout lines counted by the bench process',
      Rates: `messages received ÷ time from the first message received to the last; each flood ${rounds} times (all reference rounds, then all Tributary rounds; in h the two servers' rounds alternate), the median round quoted`,
      'CPU µs/msg': 'the process\'s CPU time (/proc, user + system, every thread) from the flood\'s start until it went idle after the last message, ÷ messages received; the median over rounds. PG: every process of the machine\'s PostgreSQL (not pinned)',
      Latency: '1,000 msg/s for 11 s from mqtt.js in the bench process, the first second left out; publish → SSE event parsed (Tributary) or mosquitto_sub\'s line read (reference)',
    }),
    '',
    renderTable(COLUMNS, rows),
    '',
    ...details,
  ];
  if (logs.length > 0) out.push('', ...logs);
  if (profileDir) out.push('', `Tributary's CPU profiles are written into ${profileDir}.`);
  process.stdout.write(`${out.join('\n')}\n`);
  return 0;
}

await runBench('bench:ingest', main);
