/**
 * npm run bench:api — Tributary's REST API under load, next to a bare
 * node:http server measured on the same machine in the same run.
 */
import path from 'node:path';
import { apiScenarios, preflight, SCENARIO_IDS, type Scenario, type ScenarioId } from './api-scenarios.js';
import { login } from './lib/api-client.js';
import { startBareServer } from './lib/bare-server.js';
import { installSignalHandlers } from './lib/cleanup.js';
import { pinBench } from './lib/cores.js';
import { runBench } from './lib/run.js';
import { nonNegativeInteger, oneOf, parseFlags, positiveInteger } from './lib/cli.js';
import { runLoad, type LoadResult } from './lib/load.js';
import { describeExit, waitForIdle } from './lib/processes.js';
import { formatNumber, formatSeconds, machineFacts, renderFacts, renderTable, summarizeLogLine, type Column } from './lib/report.js';
import { seed } from './lib/seed.js';
import { DEFAULT_DATABASE_URL, ensureBuilt, REPO_ROOT, serverCommand, startTributary, type StoreKind } from './lib/tributary.js';

const USAGE = `Usage: npm run bench:api -- [options]

Starts Tributary (as npm start does) on a fresh store and a bare
node:http server, seeds 10 applications with 10,000 integrations through the
API, then loads both with autocannon and prints req/s, p99 latency and the
Tributary/bare ratio per scenario against its target.

Options:
  --store <sqlite|postgres>  store to run on (default sqlite); postgres uses
                             BENCH_DATABASE_URL or ${DEFAULT_DATABASE_URL},
                             in a fresh schema bench_<random> dropped at the end
  --duration <seconds>       measured seconds per run (default 10)
  --warmup <seconds>         unmeasured seconds before each run (default 2; 0 for none)
  --connections <n>          concurrent connections (default 100)
  --pipelining <n>           requests in flight per connection (default 10)
  --scenario <id>            run only this scenario: getOne, list or post (default all)
  --profile <dir>            run Tributary with node --cpu-prof; the .cpuprofile for the
                             whole run (seeding included) is written into <dir> at the end
  -h, --help                 show this help

Exits 0 when every scenario ran cleanly, even if a target was missed (it is a
report); 1 when a scenario got errors or non-2xx answers, or the run failed.`;

const SEED = { applications: 10, integrations: 10_000, concurrency: 50 };

/** Minimum Tributary/bare req/s ratio; a scenario without one is reported without a verdict. */
const TARGETS: Record<StoreKind, Partial<Record<ScenarioId, number>>> = {
  sqlite: { getOne: 0.6, list: 0.2, post: 0.4 },
  postgres: { getOne: 0.3 },
};

interface Row {
  readonly scenario: Scenario;
  readonly tributary: LoadResult;
  readonly bare: LoadResult;
  readonly target: number | undefined;
}

const failed = (row: Row) => row.tributary.problems.length > 0 || row.bare.problems.length > 0;
const ratio = (row: Row) => row.tributary.requestsPerSecond / row.bare.requestsPerSecond;

function verdict(row: Row): string {
  if (failed(row)) return 'FAILED';
  if (row.target === undefined) return '—';
  return ratio(row) >= row.target ? 'PASS' : 'FAIL';
}

/** A failed run shows no figures: a server that answers errors quickly is not fast. */
const figure = (row: Row, value: (row: Row) => string) => (failed(row) ? '—' : value(row));

const COLUMNS: Column<Row>[] = [
  { header: 'scenario', cell: (row) => row.scenario.name },
  { header: 'Tributary req/s', align: 'right', cell: (row) => figure(row, (r) => formatNumber(r.tributary.requestsPerSecond)) },
  { header: 'p99 ms', align: 'right', cell: (row) => figure(row, (r) => formatNumber(r.tributary.p99Ms)) },
  { header: 'bare req/s', align: 'right', cell: (row) => figure(row, (r) => formatNumber(r.bare.requestsPerSecond)) },
  { header: 'bare p99 ms', align: 'right', cell: (row) => figure(row, (r) => formatNumber(r.bare.p99Ms)) },
  { header: 'Tributary CPU µs/req', align: 'right', cell: (row) => figure(row, (r) => r.tributary.cpuPerRequest.toFixed(1)) },
  { header: 'bare CPU µs/req', align: 'right', cell: (row) => figure(row, (r) => r.bare.cpuPerRequest.toFixed(1)) },
  // Three decimals below 0.1 so a very slow scenario does not read as 0.00×.
  { header: 'ratio', align: 'right', cell: (row) => figure(row, (r) => `${ratio(r).toFixed(ratio(r) < 0.1 ? 3 : 2)}×`) },
  { header: 'target', align: 'right', cell: (row) => (row.target === undefined ? '—' : `≥ ${row.target.toFixed(1)}×`) },
  { header: 'result', cell: verdict },
];

const progress = (line: string) => process.stderr.write(`${line}\n`);
const summary = (r: LoadResult) =>
  `  ${formatNumber(r.requestsPerSecond)} req/s, p50 ${formatNumber(r.p50Ms)} ms, p99 ${formatNumber(r.p99Ms)} ms, server CPU ${r.cpuPerRequest.toFixed(1)} µs/req${r.problems.length > 0 ? ` — ${r.problems.join('; ')}` : ''}`;

async function main(argv: readonly string[]): Promise<number> {
  const flags = parseFlags(argv, {
    store: { type: 'string' },
    duration: { type: 'string' },
    warmup: { type: 'string' },
    connections: { type: 'string' },
    pipelining: { type: 'string' },
    scenario: { type: 'string' },
    profile: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (flags.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const store = oneOf('--store', flags.store, ['sqlite', 'postgres'] as const, 'sqlite');
  const only = flags.scenario === undefined ? undefined : oneOf('--scenario', flags.scenario, SCENARIO_IDS, 'getOne');
  const load = {
    duration: positiveInteger('--duration', flags.duration, 10),
    warmup: nonNegativeInteger('--warmup', flags.warmup, 2),
    connections: positiveInteger('--connections', flags.connections, 100),
    pipelining: positiveInteger('--pipelining', flags.pipelining, 10),
  };
  const profileDir = flags.profile === undefined ? undefined : path.resolve(flags.profile);
  installSignalHandlers();
  const machine = machineFacts();

  await ensureBuilt(progress);
  const pinning = pinBench();
  progress(`Starting Tributary on ${store} and the bare server…`);
  const tributary = await startTributary({
    store,
    nodeArgs: profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : [],
    core: pinning.serverCore,
  });
  const bare = await startBareServer(REPO_ROOT, pinning.serverCore);

  progress(`Seeding ${SEED.applications} applications and ${formatNumber(SEED.integrations)} integrations (${SEED.concurrency} requests in flight)…`);
  const user = await login(tributary.url, tributary.adminEmail, tributary.adminPassword);
  const seedStart = performance.now();
  const apps = await seed(user, SEED);
  const seedMs = performance.now() - seedStart;

  const rows: Row[] = [];
  for (const scenario of apiScenarios(apps).filter((s) => only === undefined || s.id === only)) {
    const problem = await preflight(tributary.url, scenario);
    if (problem) throw new Error(`${scenario.name} does not work, so it was not measured: ${problem}`);
    // The bare server is one process for the whole run, measured right before each scenario so both share the machine's state.
    progress(`${scenario.name}: bare server…`);
    const bareResult = await runLoad({ ...load, url: bare.url, next: scenario.next, settle: () => waitForIdle(bare.url, bare.child), serverPid: bare.child.pid });
    progress(summary(bareResult));
    progress(`${scenario.name}: Tributary…`);
    const settle = () => waitForIdle(`${tributary.url}/health`, tributary.child);
    const tributaryResult = await runLoad({ ...load, url: tributary.url, next: scenario.next, settle, serverPid: tributary.child.pid });
    progress(summary(tributaryResult));
    for (const child of [tributary.child, bare.child]) {
      if (!child.isRunning()) throw new Error(describeExit(child, await child.exited));
    }
    rows.push({ scenario, tributary: tributaryResult, bare: bareResult, target: TARGETS[store][scenario.id] });
  }

  const settings = Object.entries(tributary.settings)
    .filter(([name]) => name !== 'DATA_DIR' && name !== 'PORT')
    .map(([name, value]) => `${name}=${value}`)
    .join(' ');
  const out: string[] = [
    '',
    'Tributary API benchmark',
    '',
    renderFacts({
      ...machine,
      Cores: pinning.description,
      Store: tributary.storeDescription,
      Server: `${serverCommand(profileDir ? ['--cpu-prof'] : [], pinning.serverCore)}, ${settings}`,
      Load: `autocannon in the bench process, ${load.connections} connections × pipelining ${load.pipelining}, ${load.warmup} s warm-up + ${load.duration} s measured per run, the server left to work off its backlog after each`,
      Reference: 'bare node:http process answering {"hello":"world"} on the server\'s core, started once, measured right before each Tributary scenario with the same requests',
      'CPU µs/req': "the server process's CPU time (/proc, user + system, every thread) over the measured run and the backlog it worked off after it, ÷ requests answered 2xx",
      Seeding: `${SEED.applications} applications, ${formatNumber(SEED.integrations)} integrations (6 types, disabled), ${SEED.concurrency} in flight: ${formatSeconds(seedMs)} (${formatNumber((SEED.integrations / seedMs) * 1000)} integrations/s)`,
    }),
    '',
    renderTable(COLUMNS, rows),
  ];
  for (const row of rows.filter(failed)) {
    out.push('', `${row.scenario.name} FAILED:`, ...[...row.bare.problems.map((p) => `bare ${p}`), ...row.tributary.problems.map((p) => `Tributary ${p}`)].map((p) => `  ${p}`));
  }
  const logLines = tributary.child.outputLines();
  if (logLines > 0) {
    const last = tributary.child.tail().split('\n').slice(-5).map((line) => `  ${summarizeLogLine(line)}`);
    out.push('', `Tributary wrote ${logLines} log lines at LOG_LEVEL=warn; the last ${last.length}:`, ...last);
  }
  if (profileDir) out.push('', `Tributary's CPU profile (.cpuprofile, seeding included) is written into ${profileDir} as it stops.`);
  process.stdout.write(`${out.join('\n')}\n`);
  return rows.some(failed) ? 1 : 0;
}

await runBench('bench:api', main);
