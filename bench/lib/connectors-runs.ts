/**
 * The two measurements of bench:connectors for one integration type: the
 * bare SDK loop in a process of its own, and Tributary (peer → integration →
 * messageStream read over SSE by the bench process). Both report messages/s
 * from the first arrival to the last, and the CPU µs per message of the
 * process doing the receiving.
 */
import path from 'node:path';
import type { ApiClient } from './api-client.js';
import { ArrivalCounter } from './arrivals.js';
import type { BareSpec } from './connectors-bare.js';
import type { Source } from './connectors-sources.js';
import { CpuMeter } from './proc-stats.js';
import { spawnChild } from './processes.js';
import { openSse } from './sse-reader.js';
import { REPO_ROOT, type Tributary } from './tributary.js';

export interface Measured {
  readonly received: number;
  /** msg/s from the first arrival to the last. */
  readonly rate: number;
  readonly cpuMicros: number;
}

/** Nothing new for this long after the feed means the run has stalled. */
const STALL_MS = 15_000;

async function until(done: () => boolean, progress: () => number, what: string): Promise<void> {
  let seen = progress();
  let since = performance.now();
  while (!done()) {
    await new Promise((resolve) => setTimeout(resolve, 10));
    if (progress() !== seen) {
      seen = progress();
      since = performance.now();
    } else if (performance.now() - since > STALL_MS) {
      throw new Error(`${what}: stalled at ${seen} messages for ${STALL_MS / 1000} s`);
    }
  }
}

/** Waits until the process stops using CPU (under 10 ms in 250 ms, at most 5 s): work a message caused may end after it arrived. */
async function quiet(meter: CpuMeter): Promise<void> {
  const deadline = performance.now() + 5000;
  let last = meter.used();
  while (performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    const now = meter.used();
    if (now - last < 0.01) return;
    last = now;
  }
}

/** `source` may be a Source or its floor reference under the same type (see Source.floor). */
export async function measureBare(source: Pick<Source, 'type' | 'bare'>, messages: number, core: number | undefined): Promise<Measured> {
  const run = source.bare(messages);
  await run.before();
  let output = '';
  let onLine: () => void = () => {};
  const child = spawnChild({
    name: `bare ${source.type} loop`,
    command: process.execPath,
    args: ['--import', 'tsx', path.join(REPO_ROOT, 'bench/lib/connectors-bare.ts'), JSON.stringify(run.spec satisfies BareSpec)],
    cwd: REPO_ROOT,
    core,
    stdout: (chunk) => {
      output += chunk.toString();
      onLine();
    },
  });
  const line = (match: (text: string) => boolean) =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        const found = output.split('\n').find(match);
        if (found !== undefined) resolve(found);
      };
      onLine = check;
      check();
      void child.exited.then(() => reject(new Error(`${child.name} exited: ${child.tail()}`)));
    });
  try {
    await line((text) => text === 'ready');
    const meter = new CpuMeter(child.pid);
    await run.after();
    const result = JSON.parse(await line((text) => text.startsWith('{'))) as { count: number; first: number; last: number };
    await quiet(meter);
    const seconds = (result.last - result.first) / 1000;
    return { received: result.count, rate: seconds > 0 ? (result.count - 1) / seconds : 0, cpuMicros: (meter.used() * 1e6) / result.count };
  } finally {
    await child.stop();
  }
}

/** The server and how the bench talks to it: a client and the same token for the SSE reader. */
export interface Server {
  readonly tributary: Tributary;
  readonly api: ApiClient;
  readonly token: string;
  readonly applicationId: string;
}

export async function measureTributary(source: Source, messages: number, server: Server): Promise<Measured> {
  const { tributary, api, token, applicationId } = server;
  const run = source.tributary(messages);
  await run.before();
  const integration = await api.post<{ id: string }>(`/applications/${applicationId}/integrations`, { name: `bench ${source.type}`, enabled: false, ...run.body });
  const at = `/applications/${applicationId}/integrations/${integration.id}`;
  const counter = new ArrivalCounter();
  const reader = openSse(`${tributary.url}${at}/messageStream`, token, (event) => {
    if (event === 'integrationMessage') counter.add(performance.now());
  });
  try {
    await reader.opened;
    const meter = new CpuMeter(tributary.child.pid);
    await api.request('PATCH', at, { enabled: true });
    let connected = false;
    const deadline = performance.now() + 15_000;
    while (!connected && performance.now() < deadline) {
      connected = Boolean((await api.get<{ status: { connectInfo?: unknown } }>(at)).status.connectInfo);
      if (!connected) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    if (!connected) throw new Error(`The ${source.type} integration did not connect: ${JSON.stringify((await api.get<{ status: unknown }>(at)).status)}`);
    await run.after();
    await until(() => counter.count >= messages, () => counter.count, `Tributary (${source.type})`);
    await quiet(meter);
    return { received: counter.count, rate: counter.rate(), cpuMicros: (meter.used() * 1e6) / counter.count };
  } finally {
    reader.close();
    await api.request('DELETE', at).catch(() => {});
  }
}
