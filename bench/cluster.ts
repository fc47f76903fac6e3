/**
 * npm run bench:cluster — several Tributary nodes on one PostgreSQL schema
 * (SPEC §8) holding thousands of MQTT integrations on a broker of the
 * bench's own: how long until all are connected, how fast the others take
 * over a node killed with SIGKILL, how fast a node that joins gets its
 * share, and what reading a stream on a node that does not hold the
 * integration costs against reading it on the holder.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BrokerLog } from './lib/broker-log.js';
import { installSignalHandlers, onCleanup } from './lib/cleanup.js';
import { parseFlags, positiveInteger, UsageError } from './lib/cli.js';
import { Cluster } from './lib/cluster-nodes.js';
import { CLIENT_IDS, connectAll, delivery, nodeOf, rebalance, SYS_INTERVAL, takeover, type DeliveryResult } from './lib/cluster-run.js';
import { percentile } from './lib/arrivals.js';
import { createApplication } from './lib/live-integrations.js';
import { Broker } from './lib/mosquitto.js';
import { ephemeralPorts, openFileLimit } from './lib/proc-stats.js';
import { formatNumber, formatSeconds, machineFacts, renderFacts, renderTable, summarizeLogLine, type Column } from './lib/report.js';
import { runBench } from './lib/run.js';
import { ensureBuilt, serverCommand } from './lib/tributary.js';
import { options as serverOptions } from '../src/config/options.js';

const USAGE = `Usage: npm run bench:cluster -- [options]

Starts a Mosquitto broker of its own and a cluster of Tributary nodes (as npm
start does, node-1 … node-N) on one fresh PostgreSQL schema (BENCH_DATABASE_URL
or 127.0.0.1:5432/test; dropped at the end), every setting at its default
(LEASE_SECONDS=${serverOptions.leaseSeconds.default}), then:
  1. creates N × per-node enabled MQTT integrations through the nodes' APIs
     in turn and reports the time until the API shows them all connected and
     how they are spread (status.node);
  2. publishes to one integration at --rate msg/s for --seconds and reads its
     messageStream on the node holding it and on another node at the same
     time: throughput and latency (p50, p99, max) of each;
  3. kills the last node (SIGKILL) and reports, per integration it held, the
     time from the kill to its connectInfo.ts on the node that took it (p50,
     max);
  4. starts the killed node again (same NODE_ID, port and DATA_DIR) and
     reports the time until GET /cluster shows every node within ±20 % of
     the mean.

Options:
  --nodes <n>     nodes in the cluster, 2 or more (default 3)
  --per-node <n>  integrations per node (default 3000)
  --rate <n>      messages per second of the delivery phase (default 1000)
  --seconds <n>   length of the delivery phase, 2 s warm-up included (default 12)
  -h, --help      show this help

Exits 0 when every phase ran (a missed target is a finding, not an error);
1 when the run failed. Each integration holds one socket in a node and one in
the broker, so the broker needs about nodes × per-node file descriptors and
a node that takes over about per-node × nodes / (nodes − 1) (ulimit -n).`;

const TARGETS = { takeoverMs: 15_000, joinMs: 60_000, crossP99Ms: 50, crossThroughput: 0.5 };
const FD_MARGIN = 500;
const WARMUP_SECONDS = 2;
const PAYLOAD_BYTES = 100;

function checkLimits(nodes: number, total: number): void {
  const files = openFileLimit();
  const afterKill = Math.ceil(total / (nodes - 1));
  if (total + FD_MARGIN > files) {
    throw new Error(`${formatNumber(total)} integrations need about ${formatNumber(total + FD_MARGIN)} open files in the broker, but the limit here is ${formatNumber(files)} (ulimit -n); raise it or use fewer --per-node.`);
  }
  if (afterKill + FD_MARGIN > files) throw new Error(`A node taking over would hold about ${formatNumber(afterKill)} integrations, past ulimit -n ${formatNumber(files)}.`);
  const ports = ephemeralPorts();
  if (2 * total + FD_MARGIN > ports) throw new Error(`${formatNumber(total)} integrations need about ${formatNumber(2 * total)} local ports, but net.ipv4.ip_local_port_range allows ${formatNumber(ports)}.`);
}

const verdict = (ok: boolean) => (ok ? 'met' : 'MISSED');
const ms = (value: number) => `${formatNumber(value)} ms`;
const spread = (perNode: ReadonlyMap<string, number>) =>
  [...perNode]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([node, n]) => `${node} ${formatNumber(n)}`)
    .join(', ');

const DELIVERY_COLUMNS: Column<DeliveryResult & { target: string; result: string }>[] = [
  { header: 'reader', cell: (r) => (r.label === 'reference' ? `reference (${r.reader} on ${r.holder})` : `${r.label} (${r.reader}; holder ${r.holder})`) },
  { header: 'received', align: 'right', cell: (r) => `${formatNumber(r.received)} / ${formatNumber(r.sent)}` },
  { header: 'msg/s', align: 'right', cell: (r) => formatNumber(r.rate) },
  { header: 'p50', align: 'right', cell: (r) => `${r.p50.toFixed(1)} ms` },
  { header: 'p99', align: 'right', cell: (r) => `${r.p99.toFixed(1)} ms` },
  { header: 'max', align: 'right', cell: (r) => `${r.max.toFixed(1)} ms` },
  { header: 'target', cell: (r) => r.target },
  { header: 'result', cell: (r) => r.result },
];

const progress = (line: string) => process.stderr.write(`${line}\n`);

async function main(argv: readonly string[]): Promise<number> {
  const flags = parseFlags(argv, { nodes: { type: 'string' }, 'per-node': { type: 'string' }, rate: { type: 'string' }, seconds: { type: 'string' }, help: { type: 'boolean', short: 'h' } });
  if (flags.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const nodeCount = positiveInteger('--nodes', flags.nodes, 3);
  if (nodeCount < 2) throw new UsageError('--nodes must be 2 or more: a takeover needs a node to take over.');
  const perNode = positiveInteger('--per-node', flags['per-node'], 3000);
  const rate = positiveInteger('--rate', flags.rate, 1000);
  const deliverySeconds = positiveInteger('--seconds', flags.seconds, 12);
  if (deliverySeconds <= WARMUP_SECONDS) throw new UsageError(`--seconds must be more than the ${WARMUP_SECONDS} s warm-up.`);
  const total = nodeCount * perNode;
  checkLimits(nodeCount, total);
  installSignalHandlers();
  const machine = machineFacts();
  await ensureBuilt(progress);

  progress(`Starting a broker and ${nodeCount} nodes on one PostgreSQL schema…`);
  const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-bench-cluster-'));
  onCleanup(() => fs.rmSync(logDir, { recursive: true, force: true }), { kind: 'rm', path: logDir });
  const connectionLog = path.join(logDir, 'mosquitto.log');
  const broker = await Broker.start({ sysInterval: SYS_INTERVAL, connectionLog, logErrors: true });
  const log = new BrokerLog(connectionLog, CLIENT_IDS);
  const cluster = await Cluster.start(nodeCount, {});
  const [first] = cluster.nodes;
  const app = await createApplication(first!.api, 'bench-cluster');

  progress(`Creating ${formatNumber(total)} enabled MQTT integrations through the ${nodeCount} nodes…`);
  const connected = await connectAll(cluster, broker, log, app.id, total, progress);

  const victim = cluster.nodes.at(-1)!;
  // The delivery phase reads an integration held by node-1 on node-1 and on node-2, so the killed node is neither.
  const holder = cluster.nodes[0]!;
  const other = cluster.nodes[1]!;
  const target = connected.items.find((item) => nodeOf(item) === holder.id);
  if (!target) throw new Error(`${holder.id} holds no integration`);
  const index = connected.index.get(target.id)!;
  progress(`Delivery: ${formatNumber(rate)} msg/s for ${deliverySeconds} s to cluster/${index}, read on ${holder.id} (holder) and ${other.id}…`);
  const { streams, reference } = await delivery(broker, app.id, app.token, `cluster/${index}/latency`, target.id, [
    { label: 'same node', node: holder, holder: holder.id },
    { label: 'cross node', node: other, holder: holder.id },
  ], { rate, seconds: deliverySeconds, warmupSeconds: WARMUP_SECONDS, payloadBytes: PAYLOAD_BYTES });
  const [same, cross] = streams as [DeliveryResult, DeliveryResult];
  const ratio = same.rate > 0 ? cross.rate / same.rate : 0;

  const taken = await takeover(cluster, broker, victim, app.id, total, progress);
  const joined = await rebalance(cluster, victim, app.id, total, progress);
  const doubled = log.secondConnections();

  const leaseSeconds = serverOptions.leaseSeconds.default;
  const out = [
    '',
    'Tributary cluster benchmark',
    '',
    renderFacts({
      ...machine,
      'Open files': `${formatNumber(openFileLimit())} per process (ulimit -n)`,
      Broker: `Mosquitto, its own process: ${broker.settings} (max_connections at its default, unlimited)`,
      Nodes: `${nodeCount} × ${serverCommand()}, NODE_ID node-1 … node-${nodeCount}, one PostgreSQL schema (${cluster.settings.schema}), LEASE_SECONDS=${leaseSeconds} and every other setting at its default; processes not pinned (they share every core with the broker, PostgreSQL and the bench)`,
      Integrations: `${formatNumber(total)} (${formatNumber(perNode)} per node) mqtt://127.0.0.1, MQTT 3.1.1, client ids bench-cluster-<i>, one topic filter each, created through the nodes' APIs in turn, 50 requests in flight`,
      Connected: 'status.connectInfo.ts set, no nextAttempt, status.state connected, status.node set; read by listing every page of 1000 through one node',
      Delivery: `QoS 0, ${PAYLOAD_BYTES}-byte payloads at ${formatNumber(rate)} msg/s for ${deliverySeconds} s (first ${WARMUP_SECONDS} s left out), publisher, both stream readers and an mqtt.js subscriber on the topic (the reference: what the broker and the machine add) in the bench process (one clock), all reading the same messages at the same time`,
      Takeover: `per integration of the killed node's share: from the SIGKILL to its connectInfo.ts on the node that took it`,
      Rebalance: 'from the start of the killed node\'s process (same NODE_ID) until every live node holds within ±20 % of the mean: as GET /cluster counts, then as a poll of every status (connected, status.node) shows',
    }),
    '',
    'Connecting',
    `  ${formatNumber(total)} integrations created in ${formatSeconds(connected.createMs)}; all connected ${formatSeconds(connected.lastConnectMs)} after the first POST (last connectInfo.ts; a poll saw it at ${formatSeconds(connected.observedMs)})`,
    `  spread: ${spread(connected.perNode)}`,
    '',
    'Delivery: one integration held by node-1, read on node-1 and on node-2 (and, for reference, straight from the broker)',
    renderTable(DELIVERY_COLUMNS, [
      { ...reference, target: '', result: '' },
      { ...same, target: '', result: '' },
      {
        ...cross,
        target: `p99 ≤ ${TARGETS.crossP99Ms} ms; ≥ ${TARGETS.crossThroughput}× same-node msg/s`,
        result: `p99 ${verdict(cross.p99 <= TARGETS.crossP99Ms)}; ${ratio.toFixed(2)}× ${verdict(ratio >= TARGETS.crossThroughput && cross.received >= 0.99 * cross.sent)}`,
      },
    ]),
    '',
    `Takeover after SIGKILL of ${taken.victim} (${formatNumber(taken.share)} integrations)`,
    `  kill → connected on another node: first ${ms(taken.delays[0] ?? Number.NaN)}, p50 ${ms(percentile(taken.delays, 50))}, p90 ${ms(percentile(taken.delays, 90))}, max ${ms(taken.delays.at(-1) ?? Number.NaN)}   target: all ≤ ${formatSeconds(TARGETS.takeoverMs)}   ${verdict((taken.delays.at(-1) ?? Infinity) <= TARGETS.takeoverMs)}`,
    `  the broker counted every client again ${formatSeconds(taken.brokerMs)} after the kill ($SYS, up to ${SYS_INTERVAL} s late); a poll of the API saw the whole share moved at ${formatSeconds(taken.observedMs)}`,
    `  taken by: ${spread(taken.to)}`,
    '',
    `Rebalance when ${joined.joined} starts again`,
    `  ready after ${formatSeconds(joined.readyMs)}; GET /cluster within ±20 % after ${formatSeconds(joined.viewBalancedMs)}; every integration connected and status.node within ±20 % after ${formatSeconds(joined.balancedMs)} (last move connected at ${formatSeconds(joined.lastMoveMs)})   target: ≤ ${formatSeconds(TARGETS.joinMs)}   ${verdict(joined.balancedMs <= TARGETS.joinMs)}`,
    `  ${joined.joined} took ${formatNumber(joined.moved)}; spread: ${spread(joined.perNode)}`,
  ];
  out.push(
    '',
    `Exactly once: the broker logged ${formatNumber(doubled.length)} second connection(s) for one client id ("already connected, closing old connection") over the whole run   target: 0   ${verdict(doubled.length === 0)}`,
    ...doubled.slice(0, 5).map((line) => `  ${line}`),
  );
  for (const node of cluster.nodes) {
    const lines = node.child.tail().split('\n').filter((line) => line !== '');
    if (lines.length > 0) out.push('', `${node.id} logged at LOG_LEVEL=warn; its last lines:`, ...lines.slice(-5).map((line) => `  ${summarizeLogLine(line)}`));
  }
  process.stdout.write(`${out.join('\n')}\n`);
  return 0;
}

await runBench('bench:cluster', main);
