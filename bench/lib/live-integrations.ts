/**
 * Enabled MQTT integrations pointed at a real broker, and their state as the
 * API reports it. Everything here goes through the public API: a benchmark
 * that peeked into the server would measure something users cannot see.
 */
import type { ApiClient } from './api-client.js';
import { runPool } from './pool.js';

export interface IntegrationStatus {
  readonly connectInfo?: { readonly ts: number };
  readonly disconnectInfo?: { readonly ts: number; readonly error?: string };
  readonly lastKeepAlive?: number;
  readonly nextAttempt?: number;
}

export interface StatusItem {
  readonly id: string;
  readonly status: IntegrationStatus;
}

const PER_PAGE = 1000;

export function mqttIntegrationBody(name: string, host: string, port: number, topics: readonly string[]): Record<string, unknown> {
  return { name, integrationType: 'mqtt', enabled: true, topics, mqttConfig: { host, port, protocol: 'mqtt' } };
}

/** Creates `count` integrations with `concurrency` requests in flight; returns their ids in index order. */
export function createIntegrations(client: ApiClient, applicationId: string, count: number, concurrency: number, body: (i: number) => Record<string, unknown>): Promise<string[]> {
  return runPool(count, concurrency, async (i) => (await client.post<{ id: string }>(`/applications/${applicationId}/integrations`, body(i))).id);
}

/**
 * Up, as the API says it: a last connect, no reconnect pending, and that
 * connect not older than the last disconnect.
 */
export function isConnected(status: IntegrationStatus): boolean {
  const connected = status.connectInfo?.ts;
  if (connected === undefined || status.nextAttempt !== undefined) return false;
  return status.disconnectInfo === undefined || connected >= status.disconnectInfo.ts;
}

/** Every integration of the application with its status, read in pages of 1000 sorted by id (pages never overlap). */
export async function listStatuses(client: ApiClient, applicationId: string): Promise<StatusItem[]> {
  const items: StatusItem[] = [];
  for (let page = 0; ; page++) {
    const query = `perPage=${PER_PAGE}&page=${page}&sortField=id&sortDirection=asc&_links=false`;
    const body = await client.get<{ items: StatusItem[]; totalCount: number }>(`/applications/${applicationId}/integrations?${query}`);
    for (const { id, status } of body.items) items.push({ id, status });
    if (body.items.length < PER_PAGE || items.length >= body.totalCount) return items;
  }
}

export interface PollOptions {
  readonly timeoutMs: number;
  /** Pause between the end of one poll and the start of the next; a poll of 10,000 rows is itself load on the server. */
  readonly intervalMs: number;
  /** Called after each poll, e.g. to print progress; `ms` is how long reading every page took. */
  readonly onPoll?: (items: readonly StatusItem[], ms: number) => void;
  /** What the wait is for, for the timeout message. */
  readonly what: string;
}

/** Polls the list until `done` holds for it; resolves with that list and when it was read. */
export async function pollUntil(client: ApiClient, applicationId: string, done: (items: readonly StatusItem[]) => boolean, options: PollOptions): Promise<{ items: StatusItem[]; at: number }> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const started = performance.now();
    const items = await listStatuses(client, applicationId);
    const at = Date.now();
    options.onPoll?.(items, performance.now() - started);
    if (done(items)) return { items, at };
    if (at > deadline) throw new Error(`Gave up waiting ${options.timeoutMs / 1000} s for ${options.what}.`);
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs));
  }
}

export const countWhere = (items: readonly StatusItem[], test: (status: IntegrationStatus) => boolean): number => items.reduce((n, item) => n + (test(item.status) ? 1 : 0), 0);

/** Polls one integration until the API shows it connected. */
export async function waitUntilConnected(client: ApiClient, applicationId: string, integrationId: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let status: IntegrationStatus = {};
  while (Date.now() < deadline) {
    ({ status } = await client.get<{ status: IntegrationStatus }>(`/applications/${applicationId}/integrations/${integrationId}?_links=false`));
    if (isConnected(status)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`Integration ${integrationId} was not connected after ${timeoutMs / 1000} s; its status: ${JSON.stringify(status)}`);
}

/** A new application and an application API token for it (for the streams, which take a bearer token). */
export async function createApplication(user: ApiClient, name: string): Promise<{ id: string; token: string }> {
  const { id } = await user.post<{ id: string }>('/applications', { name, description: 'created by the benchmark' });
  const { token } = await user.post<{ token: string }>(`/applications/${id}/tokens`, { name: 'bench' });
  return { id, token };
}
