/**
 * A steady trickle of API requests (POST an integration, GET the list, in
 * turn), each started on a timer whatever the others are doing, so a request
 * that hangs shows up as one, instead of slowing the load down. Bounded: at
 * most `maxInFlight` requests are under way (beyond, a tick is skipped and
 * counted), and each is given up after `hungMs` (then it counts as hung).
 */
import { integrationBody } from '../../bench/lib/seed.js';

export interface Answer {
  readonly kind: 'post' | 'list';
  readonly startedAt: number;
  endedAt?: number;
  /** The HTTP status, when there was an answer. */
  status?: number;
  /** No answer within hungMs. */
  hung?: boolean;
  /** No answer because the connection failed (the server gone, say). */
  error?: string;
  /** For a 201: the id of the integration created. */
  id?: string;
}

export interface HttpLoad {
  readonly answers: readonly Answer[];
  /** Ticks skipped because maxInFlight requests were under way. */
  readonly skipped: number;
  /** Stops starting requests and waits for those under way (each bounded by hungMs). */
  stop(): Promise<void>;
}

export interface HttpLoadOptions {
  readonly url: string;
  readonly token: string;
  readonly applicationId: string;
  readonly perSecond: number;
  readonly hungMs: number;
  readonly maxInFlight: number;
  /** Only POSTs (the kill drill), instead of POSTs and lists in turn. */
  readonly writesOnly?: boolean;
}

export function startHttpLoad(options: HttpLoadOptions): HttpLoad {
  const answers: Answer[] = [];
  const under = new Set<Promise<void>>();
  let skipped = 0;
  let n = 0;
  const headers = { authorization: `Bearer ${options.token}`, accept: 'application/json', 'content-type': 'application/json' };
  const base = `${options.url}/applications/${options.applicationId}/integrations`;

  const send = async (answer: Answer) => {
    try {
      const response =
        answer.kind === 'post'
          ? await fetch(base, { method: 'POST', headers, body: JSON.stringify(integrationBody('mqtt', `drill-${process.pid}-${n}`)), signal: AbortSignal.timeout(options.hungMs) })
          : await fetch(`${base}?perPage=20&sortField=name&sortDirection=desc`, { headers, signal: AbortSignal.timeout(options.hungMs) });
      const text = await response.text();
      answer.status = response.status;
      if (response.status === 201) answer.id = (JSON.parse(text) as { id: string }).id;
    } catch (err) {
      if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) answer.hung = true;
      else answer.error = err instanceof Error ? `${err.message}${err.cause instanceof Error ? ` (${err.cause.message})` : ''}` : String(err);
    } finally {
      answer.endedAt = performance.now();
    }
  };

  const tick = () => {
    if (under.size >= options.maxInFlight) {
      skipped += 1;
      return;
    }
    const kind = options.writesOnly || n % 2 === 0 ? 'post' : 'list';
    n += 1;
    const answer: Answer = { kind, startedAt: performance.now() };
    answers.push(answer);
    const request = send(answer).finally(() => under.delete(request));
    under.add(request);
  };
  const timer = setInterval(tick, 1000 / options.perSecond);

  return {
    answers,
    get skipped() {
      return skipped;
    },
    async stop() {
      clearInterval(timer);
      await Promise.all([...under]);
    },
  };
}

export interface Summary {
  readonly requests: number;
  readonly ok: number;
  readonly unavailable: number;
  readonly otherStatus: Readonly<Record<string, number>>;
  readonly hung: number;
  readonly connectionFailed: number;
  readonly longestMs: number;
  /** How long the 503s took: median and longest. */
  readonly unavailableMs: { readonly median: number; readonly longest: number };
  /** Answered (any way) later than this many ms. */
  readonly slowerThan: { readonly ms: number; readonly count: number };
}

export function summarize(answers: readonly Answer[], slowMs: number): Summary {
  const otherStatus: Record<string, number> = {};
  let ok = 0;
  let unavailable = 0;
  let hung = 0;
  let connectionFailed = 0;
  let longestMs = 0;
  let slow = 0;
  const unavailableTimes: number[] = [];
  for (const a of answers) {
    const took = (a.endedAt ?? performance.now()) - a.startedAt;
    if (a.status === 503) unavailableTimes.push(took);
    longestMs = Math.max(longestMs, took);
    if (took > slowMs) slow += 1;
    if (a.hung) hung += 1;
    else if (a.error !== undefined) connectionFailed += 1;
    else if (a.status !== undefined && a.status < 300) ok += 1;
    else if (a.status === 503) unavailable += 1;
    else otherStatus[String(a.status)] = (otherStatus[String(a.status)] ?? 0) + 1;
  }
  unavailableTimes.sort((a, b) => a - b);
  const unavailableMs = { median: unavailableTimes[Math.floor(unavailableTimes.length / 2)] ?? 0, longest: unavailableTimes.at(-1) ?? 0 };
  return { requests: answers.length, ok, unavailable, otherStatus, hung, connectionFailed, longestMs, unavailableMs, slowerThan: { ms: slowMs, count: slow } };
}

/**
 * Time from `t` until the API works again: the start of the last request that
 * did not succeed, among those started from `t` on (0 when none failed);
 * undefined when the last requests still fail.
 */
export function recoveryMs(answers: readonly Answer[], t: number, settledFor = 1000): number | undefined {
  const after = answers.filter((a) => a.startedAt >= t);
  const failed = after.filter((a) => a.status === undefined || a.status >= 300);
  if (failed.length === 0) return 0;
  const last = Math.max(...failed.map((a) => a.startedAt));
  const lastStarted = Math.max(...after.map((a) => a.startedAt));
  // Recovered only if requests kept succeeding for a while after the last failure.
  return lastStarted - last >= settledFor ? last - t : undefined;
}
