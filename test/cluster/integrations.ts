import type { ClusterNode } from './cluster-harness.js';
import { waitFor } from '../support/wait.js';

/** The cluster tests' MQTT integrations and what the API says of them. */

export interface Status {
  readonly node?: string;
  readonly state?: string;
  readonly connectInfo?: { readonly ts: number };
  readonly disconnectInfo?: { readonly ts: number; readonly error?: string };
  readonly nextAttempt?: number;
}

export interface Integration {
  readonly id: string;
  readonly enabled: boolean;
  readonly topics: readonly string[];
  readonly mqttConfig: { readonly clientId?: string };
  readonly status: Status;
}

/** Client ids the tests give their integrations; the broker log is read for these only. */
export const CLIENT_IDS = /^cluster-\d+$/;
export const clientId = (i: number) => `cluster-${String(i).padStart(3, '0')}`;
export const topicOf = (i: number) => `cluster/${i}`;

export function mqttBody(i: number, broker: { host: string; port: number }): Record<string, unknown> {
  return {
    name: `cluster ${i}`,
    integrationType: 'mqtt',
    topics: [`${topicOf(i)}/#`],
    mqttConfig: { host: broker.host, port: broker.port, protocol: 'mqtt', clientId: clientId(i) },
  };
}

/** Connected as the API shows it: the holder says so, names itself, and no retry is pending. */
export function isConnected(status: Status): boolean {
  return status.state === 'connected' && status.node !== undefined && status.connectInfo !== undefined && status.nextAttempt === undefined;
}

/** Every integration of the application, read through `via` (pages of 1000, by id). */
export async function listAll(via: ClusterNode, applicationId: string): Promise<Integration[]> {
  const all: Integration[] = [];
  for (let page = 0; ; page++) {
    const { items } = await via.call<{ items: Integration[] }>('GET', `/applications/${applicationId}/integrations?perPage=1000&page=${page}&sortField=id&sortDirection=asc&_links=false`);
    all.push(...items);
    if (items.length < 1000) return all;
  }
}

/** Polls the list through `via` until `done` holds; resolves with that list. */
export function waitForList(via: ClusterNode, applicationId: string, done: (items: readonly Integration[]) => boolean, what: string, timeoutMs: number): Promise<Integration[]> {
  let last: Integration[] = [];
  return waitFor(
    async () => {
      last = await listAll(via, applicationId);
      return done(last) ? last : undefined;
    },
    what,
    timeoutMs,
    100,
  ).catch((error: unknown) => {
    const summary = last
      .filter((item) => item.enabled && !isConnected(item.status))
      .slice(0, 5)
      .map((item) => `${item.mqttConfig.clientId}: ${JSON.stringify(item.status)}`);
    throw new Error(`${String(error)}; not connected (first 5): ${summary.join('; ') || 'none'}`);
  });
}

/** How many enabled integrations each node holds, by status.node. */
export function heldBy(items: readonly Integration[]): Map<string, Integration[]> {
  const by = new Map<string, Integration[]>();
  for (const item of items) {
    if (!item.enabled || item.status.node === undefined) continue;
    by.set(item.status.node, [...(by.get(item.status.node) ?? []), item]);
  }
  return by;
}
