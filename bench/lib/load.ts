/**
 * One load run with autocannon, reduced to the figures a report needs and a
 * verdict on whether those figures can be trusted at all: a run in which any
 * response was not 2xx, or any request failed or timed out, is not a result.
 */
import autocannon from 'autocannon';
import { CpuMeter } from './proc-stats.js';

export interface RequestSpec {
  readonly method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
}

export interface LoadOptions {
  readonly url: string;
  readonly connections: number;
  readonly pipelining: number;
  /** Seconds measured. */
  readonly duration: number;
  /** Seconds of unmeasured load first (0 for none); its errors still count. */
  readonly warmup: number;
  /** Called after each autocannon run (warm-up and measured); waits until the target has worked off its backlog. */
  readonly settle: () => Promise<void>;
  /** Called once per request sent, so a run can rotate over ids, applications, names. */
  readonly next: () => RequestSpec;
  /** The server's process, whose CPU time per request is measured. */
  readonly serverPid: number;
}

export interface LoadResult {
  /** Mean of the per-second request counts. */
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly completed: number;
  /** The server's CPU µs per completed request over the measured run, the backlog it worked off after it included. */
  readonly cpuPerRequest: number;
  /** Why the run cannot be trusted; empty when every request got a 2xx. */
  readonly problems: readonly string[];
}

function problemsOf(result: autocannon.Result, phase: string): string[] {
  const problems: string[] = [];
  if (result.non2xx > 0) {
    const codes = Object.entries(result.statusCodeStats)
      .filter(([code]) => !code.startsWith('2'))
      .map(([code, { count }]) => `${count}× ${code}`)
      .join(', ');
    problems.push(`${phase}: ${result.non2xx} non-2xx responses (${codes})`);
  }
  if (result.errors > 0) problems.push(`${phase}: ${result.errors} request errors, ${result.timeouts} of them timeouts`);
  if (result.mismatches > 0) problems.push(`${phase}: ${result.mismatches} unexpected bodies`);
  if (result['2xx'] === 0) problems.push(`${phase}: no request completed`);
  return problems;
}

async function once(options: LoadOptions, duration: number): Promise<autocannon.Result> {
  return await autocannon({
    url: options.url,
    connections: options.connections,
    pipelining: options.pipelining,
    duration,
    // A queue that builds up under pipelining is slowness to report, not an error, unless it is absurd.
    timeout: 30,
    requests: [
      {
        setupRequest: (request) => {
          const spec = options.next();
          return { ...request, method: spec.method, path: spec.path, headers: { ...request.headers, ...spec.headers }, body: spec.body ?? '' };
        },
      },
    ],
  });
}

/**
 * Warm-up and measured run are two autocannon runs with a settle between
 * them, not autocannon's own `warmup` option: that one starts measuring while
 * the server still works off the warm-up's pipelined requests.
 */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const problems: string[] = [];
  if (options.warmup > 0) {
    problems.push(...problemsOf(await once(options, options.warmup), 'warm-up'));
    await options.settle();
  }
  const cpu = new CpuMeter(options.serverPid);
  const result = await once(options, options.duration);
  await options.settle();
  const cpuPerRequest = (cpu.used() * 1e6) / Math.max(result['2xx'], 1);
  problems.push(...problemsOf(result, 'measured run'));
  return {
    requestsPerSecond: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    completed: result['2xx'],
    cpuPerRequest,
    problems,
  };
}
