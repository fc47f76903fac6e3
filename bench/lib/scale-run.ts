/**
 * One bench:scale run: a fresh broker and a fresh Tributary, N enabled MQTT
 * integrations created through the API, then the broker killed and brought
 * back. Every figure comes from the API (the statuses' timestamps, and the
 * first poll that saw a state); the broker's client count only decides when
 * polling the API is worth it, since each full read of 10,000 integrations
 * is itself work for the server being measured.
 */
import { login, type ApiClient } from './api-client.js';
import { ClientCountWatch } from './broker-sys.js';
import { collectGarbage, type MemoryUsage } from './inspector.js';
import { countWhere, createApplication, createIntegrations, isConnected, mqttIntegrationBody, pollUntil, type IntegrationStatus, type StatusItem } from './live-integrations.js';
import { Broker } from './mosquitto.js';
import { describeExit, freePort } from './processes.js';
import { CpuMeter, rssKiB } from './proc-stats.js';
import { startTributary, type Tributary } from './tributary.js';

const CREATE_CONCURRENCY = 50;
const SYS_INTERVAL = 1;
/** Lets the status writer flush and the last requests' garbage become collectable before memory is read. */
const SETTLE_MS = 3000;
const POLL_MS = 500;
const WAIT_MS = 300_000;

export interface Memory {
  readonly rssKiB: number;
  readonly usage: MemoryUsage;
}

export interface StormResult {
  /** Kill → the first poll that saw every integration disconnected with a retry pending. */
  readonly detectedMs: number;
  /** Kill → the restarted broker accepting connections. */
  readonly downMs: number;
  /** Restart → the latest connectInfo.ts. */
  readonly recoveryMs: number;
  /** Restart → the first poll that saw every integration connected. */
  readonly observedMs: number;
  readonly peak: number;
  /** Share of one core Tributary used from the restart until the API showed every integration back. */
  readonly cpu: number;
  readonly brokerClients: number | undefined;
  /** After the storm, a settle and a full GC: what the failed attempts left behind. */
  readonly after: Memory;
}

export interface ScaleResult {
  readonly count: number;
  readonly createMs: number;
  /** First POST → the first poll that saw every integration connected. */
  readonly connectAllMs: number;
  /** First POST → the latest connectInfo.ts: what polling rounds up. */
  readonly lastConnectMs: number;
  readonly connectPeak: number;
  readonly baseline: Memory;
  readonly after: Memory;
  readonly brokerClients: number | undefined;
  readonly storm: StormResult;
  /** Longest full read of the list (every page). */
  readonly slowestPollMs: number;
  readonly tributary: Tributary;
  readonly broker: Broker;
}

type Progress = (line: string) => void;

/** The most connects that fell in one second, counting whole seconds from `from`. */
export function peakPerSecond(timestamps: readonly number[], from: number): number {
  const buckets = new Map<number, number>();
  for (const ts of timestamps) {
    if (ts < from) continue;
    const second = Math.floor((ts - from) / 1000);
    buckets.set(second, (buckets.get(second) ?? 0) + 1);
  }
  return Math.max(0, ...buckets.values());
}

const connectTimes = (items: readonly StatusItem[]) => items.flatMap((item) => (item.status.connectInfo ? [item.status.connectInfo.ts] : []));
const latest = (values: readonly number[]) => values.reduce((a, b) => Math.max(a, b), 0);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Run {
  readonly tributary: Tributary;
  readonly broker: Broker;
  readonly user: ApiClient;
  readonly applicationId: string;
  readonly count: number;
  readonly inspectPort: number;
  readonly progress: Progress;
  slowestPollMs: number;
}

async function memory(run: Run): Promise<Memory> {
  const usage = await collectGarbage(run.inspectPort);
  return { rssKiB: rssKiB(run.tributary.child.pid), usage };
}

/** Polls the API until `test` holds for every integration. */
function pollAll(run: Run, what: string, test: (status: IntegrationStatus) => boolean, since: number): Promise<{ items: StatusItem[]; at: number }> {
  let lastPrinted = Date.now();
  return pollUntil(run.user, run.applicationId, (items) => items.length === run.count && countWhere(items, test) === run.count, {
    timeoutMs: WAIT_MS,
    intervalMs: POLL_MS,
    what: `all ${run.count} integrations to be ${what}`,
    onPoll: (items, ms) => {
      run.slowestPollMs = Math.max(run.slowestPollMs, ms);
      if (Date.now() - lastPrinted < 2000) return;
      lastPrinted = Date.now();
      run.progress(`  API: ${countWhere(items, test).toLocaleString('en-US')} of ${run.count.toLocaleString('en-US')} ${what} after ${((Date.now() - since) / 1000).toFixed(1)} s`);
    },
  });
}

/** Waits for the broker to count every integration, then for the API to show them connected since `since`. */
async function waitConnected(run: Run, watch: ClientCountWatch, since: number, what: string): Promise<{ items: StatusItem[]; at: number }> {
  await watch.until(run.count, WAIT_MS, (n) => run.progress(`  broker: ${(n ?? 0).toLocaleString('en-US')} of ${run.count.toLocaleString('en-US')} clients after ${((Date.now() - since) / 1000).toFixed(1)} s`));
  return pollAll(run, what, (s) => isConnected(s) && s.connectInfo!.ts >= since, since);
}

export async function runScale(count: number, progress: Progress): Promise<ScaleResult> {
  const broker = await Broker.start({ sysInterval: SYS_INTERVAL });
  const inspectPort = await freePort();
  const tributary = await startTributary({ store: 'sqlite', nodeArgs: [`--inspect=127.0.0.1:${inspectPort}`] });
  try {
    const user = await login(tributary.url, tributary.adminEmail, tributary.adminPassword);
    const app = await createApplication(user, `bench-scale-${count}`);
    const run: Run = { tributary, broker, user, applicationId: app.id, count, inspectPort, progress, slowestPollMs: 0 };
    await sleep(SETTLE_MS);
    const baseline = await memory(run);

    progress(`Creating ${count.toLocaleString('en-US')} enabled MQTT integrations (${CREATE_CONCURRENCY} requests in flight)…`);
    const watch = await ClientCountWatch.start(broker.url);
    const start = Date.now();
    await createIntegrations(user, app.id, count, CREATE_CONCURRENCY, (i) => mqttIntegrationBody(`scale-${i}`, broker.host, broker.port, [`scale/${i}/#`]));
    const createMs = Date.now() - start;
    progress(`  created in ${(createMs / 1000).toFixed(1)} s`);
    const up = await waitConnected(run, watch, start, 'connected');
    const connects = connectTimes(up.items);
    const brokerClients = await watch.settled(SYS_INTERVAL);
    await watch.stop();

    await sleep(SETTLE_MS);
    const after = await memory(run);
    const storm = await reconnectStorm(run);
    return {
      count,
      createMs,
      connectAllMs: up.at - start,
      lastConnectMs: latest(connects) - start,
      connectPeak: peakPerSecond(connects, start),
      baseline,
      after,
      brokerClients,
      storm,
      slowestPollMs: run.slowestPollMs,
      tributary,
      broker,
    };
  } catch (err) {
    // A server that died explains the failure better than the request that found it dead.
    if (!tributary.child.isRunning()) throw new Error(describeExit(tributary.child, await tributary.child.exited), { cause: err });
    throw err;
  } finally {
    // The next run wants this run's memory, sockets and ports back.
    await tributary.child.stop();
    await broker.stop();
  }
}

async function reconnectStorm(run: Run): Promise<StormResult> {
  run.progress('Killing the broker (SIGKILL)…');
  const killedAt = Date.now();
  await run.broker.kill();
  // A lost link shows a disconnect since the kill; its retry may already be under way (state connecting, no nextAttempt).
  const down = await pollAll(run, 'disconnected', (s) => (s.disconnectInfo?.ts ?? 0) >= killedAt && !isConnected(s), killedAt);
  run.progress('Restarting the broker on the same port…');
  const restartAt = Date.now();
  const cpu = new CpuMeter(run.tributary.child.pid);
  await run.broker.restart();
  const downMs = Date.now() - killedAt;
  const watch = await ClientCountWatch.start(run.broker.url);
  const back = await waitConnected(run, watch, restartAt, 'reconnected');
  const cpuSeconds = cpu.used();
  const brokerClients = await watch.settled(SYS_INTERVAL);
  await watch.stop();
  const connects = connectTimes(back.items);
  const recoveryMs = latest(connects) - restartAt;
  await sleep(SETTLE_MS);
  return {
    detectedMs: down.at - killedAt,
    downMs,
    recoveryMs,
    observedMs: back.at - restartAt,
    peak: peakPerSecond(connects, restartAt),
    // The API polls in this stretch are few (the broker's count gates them) but not free.
    cpu: cpuSeconds / Math.max((back.at - restartAt) / 1000, 0.001),
    brokerClients,
    after: await memory(run),
  };
}
