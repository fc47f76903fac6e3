/**
 * Broker outage drill: N live MQTT integrations on the real server, their
 * broker killed for 10 s and started again on the same port. SPEC §4: all
 * back within 15 s of its return (1,000 integrations; 10,000 within 20 s),
 * never more connects in a second than CONNECT_RATE.
 *
 *   npx tsx drill/broker-outage.ts [--integrations 1000] [--outage 10]
 *
 * Starts a Mosquitto of its own on a free 127.0.0.1 port (the machine's
 * shared broker is never touched) and the built server as `npm start` runs it
 * (node --max-semi-space-size=64 dist/cli/main.js serve) on a free port with a
 * fresh SQLite DATA_DIR, creates the integrations through the API, waits until
 * the API shows them all connected, kills the broker (SIGKILL), restarts it
 * after the outage, and reads from the API when each one connected again.
 * Printed: the time from the restart until the last one was back, and the
 * most connects in one second. Every wait is bounded; everything it started
 * is stopped and removed when it ends, Ctrl-C included. Builds dist/ first if
 * src/ changed (`--no-build`: run dist/ as it is). Exits 1 when a figure
 * breaks the spec.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { login, type ApiClient } from '../bench/lib/api-client.js';
import { ClientCountWatch } from '../bench/lib/broker-sys.js';
import { installSignalHandlers, onCleanup } from '../bench/lib/cleanup.js';
import { parseFlags, positiveInteger } from '../bench/lib/cli.js';
import { countWhere, createApplication, createIntegrations, isConnected, listStatuses, mqttIntegrationBody, pollUntil, type IntegrationStatus, type StatusItem } from '../bench/lib/live-integrations.js';
import { acceptedPerSecond, Broker } from '../bench/lib/mosquitto.js';
import { openFileLimit } from '../bench/lib/proc-stats.js';
import { formatNumber, formatSeconds, machineFacts, renderFacts } from '../bench/lib/report.js';
import { runBench } from '../bench/lib/run.js';
import { peakPerSecond } from '../bench/lib/scale-run.js';
import { ensureBuilt, serverCommand, startTributary } from '../bench/lib/tributary.js';
import { options as serverOptions } from '../src/config/options.js';

const USAGE = `Usage: npx tsx drill/broker-outage.ts [options]

  --integrations <n>  live MQTT integrations on the broker (default 1000)
  --outage <s>        seconds the broker stays down (default 10)
  --no-build          run dist/ as it is, even if src/ changed
  -h, --help          show this help`;

const CREATE_CONCURRENCY = 50;
const POLL_MS = 500;
/** No wait of the drill lasts longer than this. */
const WAIT_MS = 180_000;
/** Descriptors beyond one per integration: database, listeners, API clients. */
const FD_MARGIN = 500;
/** The server runs with its defaults; the drill shows what an operator gets. */
const CONNECT_RATE = Number(serverOptions.connectRate.default);

const progress = (line: string) => process.stderr.write(`${line}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const connectTimes = (items: readonly StatusItem[], since: number) => items.flatMap((item) => (item.status.connectInfo && item.status.connectInfo.ts >= since ? [item.status.connectInfo.ts] : []));

/** SPEC §4: 15 s for 1,000 integrations, 20 s for 10,000. */
const targetMs = (count: number) => (count <= 1000 ? 15_000 : 20_000);

interface Run {
  readonly user: ApiClient;
  readonly applicationId: string;
  readonly count: number;
}

/** Polls the API until `test` holds for every integration, printing progress every 2 s. */
function pollAll(run: Run, what: string, test: (status: IntegrationStatus) => boolean, since: number): Promise<{ items: StatusItem[]; at: number }> {
  let printed = Date.now();
  return pollUntil(run.user, run.applicationId, (items) => items.length === run.count && countWhere(items, test) === run.count, {
    timeoutMs: WAIT_MS,
    intervalMs: POLL_MS,
    what: `all ${run.count} integrations to be ${what}`,
    onPoll: (items) => {
      if (Date.now() - printed < 2000) return;
      printed = Date.now();
      progress(`  API: ${formatNumber(countWhere(items, test))} of ${formatNumber(run.count)} ${what} after ${formatSeconds(Date.now() - since)}`);
    },
  });
}

/** Waits for the broker to count every integration (cheap), then for the API to show them connected since `since`. */
async function waitConnected(run: Run, broker: Broker, since: number, what: string): Promise<{ items: StatusItem[]; at: number }> {
  const watch = await ClientCountWatch.start(broker.url);
  try {
    await watch.until(run.count, WAIT_MS, (n) => progress(`  broker: ${formatNumber(n ?? 0)} of ${formatNumber(run.count)} clients after ${formatSeconds(Date.now() - since)}`));
  } finally {
    await watch.stop();
  }
  return pollAll(run, what, (s) => isConnected(s) && s.connectInfo!.ts >= since, since);
}

async function main(argv: readonly string[]): Promise<number> {
  const flags = parseFlags(argv, { integrations: { type: 'string' }, outage: { type: 'string' }, 'no-build': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } });
  if (flags.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const count = positiveInteger('--integrations', flags.integrations, 1000);
  const outageMs = positiveInteger('--outage', flags.outage, 10) * 1000;
  if (count + FD_MARGIN > openFileLimit()) {
    throw new Error(`${formatNumber(count)} integrations need about ${formatNumber(count + FD_MARGIN)} open files per process, but ulimit -n is ${formatNumber(openFileLimit())}.`);
  }
  installSignalHandlers();
  if (!flags['no-build']) await ensureBuilt(progress);

  progress(`Starting a Mosquitto of its own and the built server (SQLite, fresh DATA_DIR)…`);
  // The broker logs every connection it accepts: attempts started per second, which is what CONNECT_RATE caps.
  const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-drill-log-'));
  onCleanup(() => fs.rmSync(logDir, { recursive: true, force: true }), { kind: 'rm', path: logDir });
  const connectionLog = path.join(logDir, 'connections.log');
  const broker = await Broker.start({ sysInterval: 1, connectionLog });
  const tributary = await startTributary({ store: 'sqlite' });
  const user = await login(tributary.url, tributary.adminEmail, tributary.adminPassword);
  const app = await createApplication(user, 'drill-broker-outage');
  const run: Run = { user, applicationId: app.id, count };

  progress(`Creating ${formatNumber(count)} enabled MQTT integrations on ${broker.url}…`);
  const created = Date.now();
  await createIntegrations(user, app.id, count, CREATE_CONCURRENCY, (i) => mqttIntegrationBody(`outage-${i}`, broker.host, broker.port, [`drill/${i}/#`]));
  await waitConnected(run, broker, created, 'connected');
  progress(`  all connected after ${formatSeconds(Date.now() - created)}`);

  progress(`Killing the broker (SIGKILL) for ${formatSeconds(outageMs)}…`);
  const killedAt = Date.now();
  await broker.kill();
  await pollAll(run, 'disconnected', (s) => !isConnected(s) && (s.disconnectInfo?.ts ?? 0) >= killedAt, killedAt);
  await sleep(killedAt + outageMs - Date.now() - 500);
  // What per-integration backoff alone would give: the retries already scheduled as the broker returns.
  const pendingRetries = (await listStatuses(user, app.id)).flatMap((item) => (item.status.nextAttempt === undefined ? [] : [item.status.nextAttempt]));
  await sleep(killedAt + outageMs - Date.now());

  progress('Restarting the broker on the same port…');
  const restartAt = Date.now();
  await broker.restart();
  const listeningMs = Date.now() - restartAt;
  const back = await waitConnected(run, broker, restartAt, 'back');
  const connects = connectTimes(back.items, restartAt);
  const recoveryMs = connects.reduce((a, b) => Math.max(a, b), restartAt) - restartAt;
  const peak = Math.max(0, ...acceptedPerSecond(connectionLog, restartAt));
  const peakCompleted = peakPerSecond(connects, restartAt);
  const latestRetryMs = pendingRetries.length > 0 ? pendingRetries.reduce((a, b) => Math.max(a, b)) - restartAt : undefined;
  if (!tributary.child.isRunning()) throw new Error('Tributary exited during the drill');
  await tributary.child.stop();

  const target = targetMs(count);
  const recoveryOk = recoveryMs <= target;
  const peakOk = peak <= CONNECT_RATE;
  const out = [
    '',
    'Broker outage drill',
    '',
    renderFacts({
      ...machineFacts(),
      Server: `${serverCommand()}, SQLite, CONNECT_RATE=${CONNECT_RATE}, other settings at their defaults`,
      Broker: `Mosquitto on ${broker.url} (its own process), killed with SIGKILL and restarted on the same port`,
      Integrations: `${formatNumber(count)} MQTT (mqtt://, one topic filter each), created through the API`,
    }),
    '',
    `broker down for                 ${formatSeconds(restartAt - killedAt)} (listening again ${formatSeconds(listeningMs)} after the restart began)`,
    `all back (last connectInfo)     ${formatSeconds(recoveryMs)} after the restart began   target ≤ ${formatSeconds(target)}   ${recoveryOk ? 'PASS' : 'FAIL'}`,
    `all back as the API saw it      ${formatSeconds(back.at - restartAt)} (polled every ${POLL_MS} ms)`,
    `peak attempts/s (broker log)    ${formatNumber(peak)}   CONNECT_RATE ${formatNumber(CONNECT_RATE)}   ${peakOk ? 'PASS' : 'FAIL'}`,
    `peak connects completed/s       ${formatNumber(peakCompleted)} (completions bunch when the broker answers a backlog at once)`,
    `backoff alone would have waited ${latestRetryMs === undefined ? 'n/a' : formatSeconds(latestRetryMs)} after the restart (the latest nextAttempt 0.5 s before it)`,
    '',
  ];
  process.stdout.write(out.join('\n'));
  return recoveryOk && peakOk ? 0 : 1;
}

await runBench('drill/broker-outage', main);
