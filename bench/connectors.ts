/**
 * npm run bench:connectors — per cloud integration type, messages/s from a
 * protocol peer (test/peers/) through Tributary to an SSE client, next to the
 * same official SDK receiving alone in a bare loop from the same peer,
 * measured in the same run.
 */
import path from 'node:path';
import { installSignalHandlers } from './lib/cleanup.js';
import { parseFlags, positiveInteger } from './lib/cli.js';
import { ApiClient } from './lib/api-client.js';
import { measureBare, measureTributary, type Measured, type Server } from './lib/connectors-runs.js';
import { SOURCE_TYPES, startSource, type Source, type SourceType } from './lib/connectors-sources.js';
import { pinBench } from './lib/cores.js';
import { formatNumber, machineFacts, renderFacts, renderTable, summarizeLogLine, type Column } from './lib/report.js';
import { runBench } from './lib/run.js';
import { ensureBuilt, serverCommand, startTributary } from './lib/tributary.js';

const USAGE = `Usage: npm run bench:connectors -- [options]

Starts the four protocol peers of test/peers/ in the bench process (Particle,
SQS on fauxqs, Pub/Sub over gRPC, Event Hubs over AMQP), all on 127.0.0.1,
and Tributary as npm start does (a fresh SQLite store, retention on), then
for each integration type measures, in the same run:
  reference  the type's official SDK receiving alone in a bare loop, in a
             process of its own on the server's core (Particle: particle-api-js
             getEventStream; a plain SSE reader is measured too and shown
             beside it, not judged: Tributary reads plain SSE, not the SDK);
  Tributary  peer → an integration of that type → its messageStream, read
             over SSE by the bench process.
The same number of 100-byte messages each way; PASS when Tributary reaches
at least 0.7× the reference's messages/s.

Options:
  --type <type>     only this type: ${SOURCE_TYPES.join(', ')} (default all)
  --messages <n>    messages per run (default 20000; SQS 1/4 of it: fauxqs is the bound)
  --rounds <n>      rounds per type, each a reference run then a Tributary run; the
                    median of each is quoted (default 3)
  --profile <dir>   run Tributary with node --cpu-prof; its .cpuprofile is written into <dir> when it stops
  -h, --help        show this help

Exits 0 when every run completed (a missed target is a finding), 1 when one failed.`;

const TARGET = 0.7;

interface Row {
  readonly type: SourceType;
  readonly messages: number;
  readonly reference: Measured;
  readonly tributary: Measured;
  readonly rounds: readonly [readonly Measured[], readonly Measured[]];
  /** The floor reference (Particle's plain SSE reader), when the type has one: its median and rounds. */
  readonly floor?: { readonly median: Measured; readonly rounds: readonly Measured[] };
}

/** The round with the median rate (the lower middle one), its CPU the median of the rounds' on its own. */
function median(runs: readonly Measured[]): Measured {
  const middle = <T>(values: readonly T[], by: (value: T) => number) => [...values].sort((a, b) => by(a) - by(b))[Math.floor((values.length - 1) / 2)]!;
  const rate = middle(runs, (run) => run.rate);
  return { ...rate, received: Math.min(...runs.map((run) => run.received)), cpuMicros: middle(runs, (run) => run.cpuMicros).cpuMicros };
}

const ratio = (row: Row) => row.tributary.rate / row.reference.rate;
const COLUMNS: readonly Column<Row>[] = [
  { header: 'type', cell: (r) => r.type },
  { header: 'messages', align: 'right', cell: (r) => formatNumber(r.messages) },
  { header: 'reference msg/s', align: 'right', cell: (r) => formatNumber(r.reference.rate) },
  { header: 'Tributary msg/s', align: 'right', cell: (r) => formatNumber(r.tributary.rate) },
  { header: 'ratio', align: 'right', cell: (r) => `${ratio(r).toFixed(2)}×` },
  { header: 'ref CPU µs/msg', align: 'right', cell: (r) => formatNumber(r.reference.cpuMicros, 1) },
  { header: 'server CPU µs/msg', align: 'right', cell: (r) => formatNumber(r.tributary.cpuMicros, 1) },
  { header: `≥ ${TARGET}×`, cell: (r) => (ratio(r) >= TARGET && r.tributary.received >= r.messages ? 'PASS' : 'FAIL') },
];

const progress = (line: string) => process.stderr.write(`${line}\n`);

async function main(argv: readonly string[]): Promise<number> {
  const flags = parseFlags(argv, { type: { type: 'string' }, messages: { type: 'string' }, rounds: { type: 'string' }, profile: { type: 'string' }, help: { type: 'boolean', short: 'h' } });
  if (flags.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const types = flags.type === undefined ? SOURCE_TYPES : SOURCE_TYPES.filter((type) => type === flags.type);
  if (types.length === 0) throw new Error(`--type must be one of ${SOURCE_TYPES.join(', ')}, got "${flags.type ?? ''}"`);
  const messages = positiveInteger('--messages', flags.messages, 20_000);
  const rounds = positiveInteger('--rounds', flags.rounds, 3);
  const nodeArgs = flags.profile === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', path.resolve(flags.profile)];
  installSignalHandlers();
  const machine = machineFacts();

  await ensureBuilt(progress);
  const pinning = pinBench();
  const sources: Source[] = [];
  try {
    for (const type of types) sources.push(await startSource(type));
    const serverEnv = Object.assign({}, ...sources.map((source) => source.serverEnv)) as Record<string, string>;
    progress('Starting Tributary (SQLite, retention on)…');
    const tributary = await startTributary({ store: 'sqlite', core: pinning.serverCore, env: serverEnv, nodeArgs });
    const anonymous = new ApiClient(tributary.url);
    const { token } = await anonymous.post<{ token: string }>('/auth/user', { email: tributary.adminEmail, password: tributary.adminPassword });
    const api = anonymous.withToken(token);
    const application = await api.post<{ id: string }>('/applications', { name: 'bench:connectors' });
    const server: Server = { tributary, api, token, applicationId: application.id };

    const rows: Row[] = [];
    for (const source of sources) {
      const count = source.type === 'sqs' ? Math.max(1, Math.round(messages / 4)) : messages;
      const references: Measured[] = [];
      const throughs: Measured[] = [];
      const floors: Measured[] = [];
      for (let round = 1; round <= rounds; round++) {
        progress(`${source.type} round ${round}/${rounds}: bare SDK loop, ${formatNumber(count)} messages…`);
        references.push(await measureBare(source, count, pinning.serverCore));
        if (source.floor) {
          progress(`${source.type} round ${round}/${rounds}: ${source.floor.reference}, ${formatNumber(count)} messages…`);
          floors.push(await measureBare({ type: source.type, bare: source.floor.bare }, count, pinning.serverCore));
        }
        progress(`${source.type} round ${round}/${rounds}: through Tributary, ${formatNumber(count)} messages…`);
        throughs.push(await measureTributary(source, count, server));
      }
      const floor = floors.length > 0 ? { median: median(floors), rounds: floors } : undefined;
      rows.push({ type: source.type, messages: count, reference: median(references), tributary: median(throughs), rounds: [references, throughs], ...(floor ? { floor } : {}) });
    }
    const logLines = tributary.child.outputLines();
    const tail = logLines > 0 ? ['', `Tributary wrote ${logLines} log lines at LOG_LEVEL=warn; the last ones:`, ...tributary.child.tail().split('\n').slice(-3).map((l) => `  ${summarizeLogLine(l)}`)] : [];
    await tributary.child.stop();

    const out = [
      '',
      'Tributary cloud connectors benchmark',
      '',
      renderFacts({
        ...machine,
        Cores: pinning.description,
        Server: `${serverCommand(nodeArgs.slice(0, 1), pinning.serverCore)}, a fresh SQLite DATA_DIR, retention on (defaults), LOG_LEVEL=warn`,
        Peers: sources.map((s) => `${s.type}: ${s.peer}`).join('; '),
        References: sources.map((s) => `${s.type}: ${s.reference}${s.floor ? ` (judged); beside it, not judged, ${s.floor.reference}` : ''}`).join('; '),
        Rates: `${rounds} rounds per type (reference, then Tributary), the median quoted; messages received ÷ time from the first arrival to the last (reference: in its own process; Tributary: SSE events parsed by the bench process)`,
        'CPU µs/msg': "the receiving process's CPU time (/proc, user + system, every thread) from its subscription until it went idle after the last message, ÷ messages",
      }),
      '',
      renderTable(COLUMNS, rows),
      '',
      ...rows.map((r) => `${r.type} rounds, msg/s: reference ${r.rounds[0].map((m) => formatNumber(m.rate)).join(', ')}; Tributary ${r.rounds[1].map((m) => formatNumber(m.rate)).join(', ')}`),
      ...rows.flatMap((r) => {
        if (!r.floor) return [];
        const { median: floor, rounds: floorRounds } = r.floor;
        return [
          `${r.type} beside ${sources.find((s) => s.type === r.type)?.floor?.reference ?? 'its floor reference'} (not judged): ${formatNumber(floor.rate)} msg/s, ${formatNumber(floor.cpuMicros, 1)} CPU µs/msg; Tributary ${(r.tributary.rate / floor.rate).toFixed(2)}× of it (rounds ${floorRounds.map((m) => formatNumber(m.rate)).join(', ')})`,
        ];
      }),
      ...rows.filter((r) => r.tributary.received !== r.messages).map((r) => `${r.type}: Tributary delivered ${r.tributary.received} of ${r.messages} (duplicates are allowed: at least once)`),
      ...tail,
    ];
    process.stdout.write(`${out.join('\n')}\n`);
    return 0;
  } finally {
    for (const source of sources) await source.close().catch(() => {});
  }
}

await runBench('bench:connectors', main);
