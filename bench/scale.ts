/**
 * npm run bench:scale — many live MQTT integrations on one Tributary: how
 * long they take to connect, what each costs in memory, and how the runtime
 * rides out its broker crashing and coming back.
 */
import { installSignalHandlers } from './lib/cleanup.js';
import { runBench } from './lib/run.js';
import { parseFlags, UsageError } from './lib/cli.js';
import { ephemeralPorts, openFileLimit } from './lib/proc-stats.js';
import { formatNumber, formatSeconds, machineFacts, renderFacts, renderTable, summarizeLogLine, type Column } from './lib/report.js';
import { runScale, type ScaleResult } from './lib/scale-run.js';
import { ensureBuilt, serverCommand } from './lib/tributary.js';
import { options as serverOptions } from '../src/config/options.js';

const USAGE = `Usage: npm run bench:scale -- [options]

For each count N: starts a Mosquitto broker of its own and a fresh Tributary
(SQLite, default settings), creates N enabled MQTT integrations through the
API, and reports the time until the API shows them all connected and the
server's resident memory per integration (after a full GC, against the same
server before any integration existed). Then it kills the broker (SIGKILL),
waits until the API shows every integration disconnected, restarts the broker
on the same port and reports the time until all are connected again and the
most reconnects in one second.

Options:
  --counts <n,n,…>  integration counts, run in order (default 1000,10000)
  -h, --help        show this help

Each integration holds one socket in Tributary and one in the broker, so a
count needs about that many file descriptors (ulimit -n) in each process.`;

/** Descriptors each process needs beyond one per integration: database, listeners, API clients, the inspector. */
const FD_MARGIN = 500;
const TARGET_KIB = 50;

function parseCounts(raw: string | undefined): number[] {
  if (raw === undefined) return [1000, 10_000];
  const counts = raw.split(',').map((part) => part.trim());
  if (counts.some((part) => !/^\d+$/.test(part) || Number(part) === 0)) {
    throw new UsageError(`--counts must be whole numbers above 0 separated by commas, such as 1000,10000; got "${raw}".`);
  }
  return counts.map(Number);
}

/** Refuses up front what the machine cannot hold, rather than failing half-way with EMFILE. */
function checkLimits(counts: readonly number[]): void {
  const largest = Math.max(...counts);
  const files = openFileLimit();
  if (largest + FD_MARGIN > files) {
    throw new Error(
      `${formatNumber(largest)} integrations need about ${formatNumber(largest + FD_MARGIN)} open files in Tributary and in the broker, but the limit here is ${formatNumber(files)} (ulimit -n); raise it or use --counts up to ${formatNumber(Math.max(0, files - FD_MARGIN))}.`,
    );
  }
  // Each connection takes a local port; after the broker is killed, old and new connections briefly coexist.
  const ports = ephemeralPorts();
  if (2 * largest + FD_MARGIN > ports) {
    throw new Error(`${formatNumber(largest)} integrations need about ${formatNumber(2 * largest)} local ports, but net.ipv4.ip_local_port_range allows ${formatNumber(ports)}; widen it or use a smaller --counts.`);
  }
}

const kib = (bytes: number) => bytes / 1024;
const perIntegration = (r: ScaleResult, before: number, after: number) => (after - before) / r.count;
const rssPer = (r: ScaleResult) => perIntegration(r, r.baseline.rssKiB, r.after.rssKiB);
const mib = (k: number) => `${(k / 1024).toFixed(0)} MiB`;
const signed = (k: number) => `${k < 0 ? '−' : '+'}${mib(Math.abs(k))}`;
const clients = (value: number | undefined) => (value === undefined ? 'no $SYS value' : formatNumber(value));

const CONNECT_COLUMNS: Column<ScaleResult>[] = [
  { header: 'integrations', align: 'right', cell: (r) => formatNumber(r.count) },
  { header: 'created in', align: 'right', cell: (r) => formatSeconds(r.createMs) },
  { header: 'all connected (API)', align: 'right', cell: (r) => formatSeconds(r.connectAllMs) },
  { header: 'last connectInfo', align: 'right', cell: (r) => formatSeconds(r.lastConnectMs) },
  { header: 'peak connects/s', align: 'right', cell: (r) => formatNumber(r.connectPeak) },
  { header: 'broker sees', align: 'right', cell: (r) => clients(r.brokerClients) },
  { header: 'RSS before → after', align: 'right', cell: (r) => `${mib(r.baseline.rssKiB)} → ${mib(r.after.rssKiB)}` },
  { header: 'RSS/integration', align: 'right', cell: (r) => `${rssPer(r).toFixed(1)} KiB` },
  { header: 'JS heap/integration', align: 'right', cell: (r) => `${kib(perIntegration(r, r.baseline.usage.heapUsed, r.after.usage.heapUsed)).toFixed(1)} KiB` },
  { header: 'target', align: 'right', cell: () => `≤ ${TARGET_KIB} KiB` },
  { header: 'result', cell: (r) => (rssPer(r) <= TARGET_KIB ? 'PASS' : 'FAIL') },
];

const STORM_COLUMNS: Column<ScaleResult>[] = [
  { header: 'integrations', align: 'right', cell: (r) => formatNumber(r.count) },
  { header: 'all shown disconnected', align: 'right', cell: (r) => formatSeconds(r.storm.detectedMs) },
  { header: 'broker down for', align: 'right', cell: (r) => formatSeconds(r.storm.downMs) },
  { header: 'recovery (last connectInfo)', align: 'right', cell: (r) => formatSeconds(r.storm.recoveryMs) },
  { header: 'all connected (API)', align: 'right', cell: (r) => formatSeconds(r.storm.observedMs) },
  { header: 'peak connects/s', align: 'right', cell: (r) => formatNumber(r.storm.peak) },
  { header: 'Tributary CPU', align: 'right', cell: (r) => `${(r.storm.cpu * 100).toFixed(0)} %` },
  { header: 'broker sees', align: 'right', cell: (r) => clients(r.storm.brokerClients) },
  // Against the figures taken once all were first connected: what the failed attempts and reconnects left behind.
  { header: 'RSS after storm', align: 'right', cell: (r) => `${mib(r.storm.after.rssKiB)} (${signed(r.storm.after.rssKiB - r.after.rssKiB)})` },
  { header: 'JS heap after storm', align: 'right', cell: (r) => `${mib(kib(r.storm.after.usage.heapUsed))} (${signed(kib(r.storm.after.usage.heapUsed - r.after.usage.heapUsed))})` },
];

const progress = (line: string) => process.stderr.write(`${line}\n`);

async function main(argv: readonly string[]): Promise<number> {
  const flags = parseFlags(argv, { counts: { type: 'string' }, help: { type: 'boolean', short: 'h' } });
  if (flags.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const counts = parseCounts(flags.counts);
  checkLimits(counts);
  installSignalHandlers();
  const machine = machineFacts();
  await ensureBuilt(progress);

  const results: (ScaleResult & { logs: string[] })[] = [];
  for (const count of counts) {
    progress(`\n${formatNumber(count)} integrations: starting a broker of its own and a fresh Tributary…`);
    const result = await runScale(count, progress);
    // The inspector (used for GC and memory figures) announces itself on stderr; that is not Tributary logging.
    const logs = result.tributary.child.tail().split('\n').filter((line) => line !== '' && !/^Debugger (listening|attached|ending)|^For help, see/.test(line));
    results.push({ ...result, logs });
  }

  type NumberSetting = 'connectRate' | 'reconnectBase' | 'reconnectMax' | 'reconnectReset' | 'connectTimeout' | 'keepalive';
  const setting = (name: NumberSetting) => `${serverOptions[name].env}=${serverOptions[name].default}`;
  const out = [
    '',
    'Tributary scale benchmark',
    '',
    renderFacts({
      ...machine,
      'Open files': `${formatNumber(openFileLimit())} per process (ulimit -n)`,
      Broker: `Mosquitto, its own process per count: ${results[0]?.broker.settings ?? ''}`,
      Server: `${serverCommand(['--inspect'])}, SQLite, fresh per count; runtime settings at their defaults: ${(['connectRate', 'reconnectBase', 'reconnectMax', 'reconnectReset', 'connectTimeout', 'keepalive'] as const).map(setting).join(' ')}`,
      Integrations: 'mqtt://127.0.0.1 (no TLS), MQTT 3.1.1, clean session, one topic filter each, created through the API with 50 requests in flight',
      Connected: 'status.connectInfo.ts set, no nextAttempt, connectInfo.ts ≥ disconnectInfo.ts, read by listing every page of 1000 every 0.5 s once the broker ($SYS, sys_interval 1) counts every client; "last connectInfo" is the exact time, "(API)" when a poll first saw it',
      RSS: 'VmRSS of the Tributary process after two full GCs (inspector), before creating any integration and 3 s after all were connected; KiB = 1024 bytes',
      Storm: 'SIGKILL of the broker, then once the API shows every integration disconnected with a retry pending, the same broker config restarted on the same port',
    }),
    '',
    'Connecting (times from the first POST)',
    renderTable(CONNECT_COLUMNS, results),
    '',
    'Reconnect storm (recovery times from the broker restart)',
    renderTable(STORM_COLUMNS, results),
    '',
    ...results.map((r) => `${formatNumber(r.count)}: the slowest full read of the list (every page) took ${formatNumber(r.slowestPollMs)} ms`),
  ];
  for (const r of results.filter((x) => x.logs.length > 0)) {
    out.push('', `Tributary (${formatNumber(r.count)}) logged at LOG_LEVEL=warn; its last lines:`, ...r.logs.slice(-5).map((line) => `  ${summarizeLogLine(line)}`));
  }
  process.stdout.write(`${out.join('\n')}\n`);
  return 0;
}

await runBench('bench:scale', main);
