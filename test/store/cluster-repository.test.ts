import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/lib/ids.js';
import { openStore } from '../../src/store/open.js';
import type { ClusterRepository, IntegrationRow, RowChange, Store } from '../../src/store/store.js';
import { services } from '../support/services.js';
import { dropSchema } from '../support/stores.js';
import { waitFor } from '../support/wait.js';

const url = services().postgresUrl;
const LEASE = 1;

/** Membership and ownership on a real PostgreSQL (SPEC §8); the leases are on the database's clock. */
describe.runIf(url)('cluster repository (PostgreSQL)', () => {
  const schema = `test_cluster_${randomBytes(4).toString('hex')}`;
  let store: Store;
  let cluster: ClusterRepository;
  let applicationId: string;
  const changes: RowChange[] = [];
  /** Every enabled integration made so far (a node that leaves frees what it held for the next test). */
  const enabledIds: string[] = [];

  beforeAll(async () => {
    store = await openStore({ kind: 'postgres', url: url!, schema, poolSize: 4 });
    cluster = store.cluster!;
    store.changes!.subscribe((change) => changes.push(change), () => {});
    const ownerId = newId();
    const now = new Date().toISOString();
    await store.users.insert({ id: ownerId, email: 'owner@example.com', passwordHash: 'x', creationDate: now, lastUpdated: now });
    applicationId = newId();
    await store.applications.insert({ id: applicationId, ownerId, name: 'app', description: null, attributes: {}, creationDate: now, lastUpdated: now });
  });

  afterAll(async () => {
    await store?.close();
    await dropSchema(url!, schema);
  });

  async function integrations(n: number, enabled = true): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const now = new Date().toISOString();
      const row: IntegrationRow = {
        id: newId(), applicationId, name: `i${i}`, integrationType: 'mqtt', enabled, topics: [], credentialName: null,
        config: { host: '127.0.0.1', port: 1883, protocol: 'mqtt' }, secrets: null, status: {}, creationDate: now, lastUpdated: now,
      };
      await store.integrations.insert(row);
      ids.push(row.id);
      if (enabled) enabledIds.push(row.id);
    }
    return ids;
  }

  it('has a node id join once while its lease runs, and again once it ran out, without what it held before', async () => {
    expect(await cluster.join({ id: 'solo', url: 'http://127.0.0.1:1' }, LEASE)).toBe(true);
    expect(await cluster.join({ id: 'solo', url: 'http://127.0.0.1:2' }, LEASE)).toBe(false);
    const ids = await integrations(2);
    expect((await cluster.claim('solo', 10, 1)).sort()).toEqual([...ids].sort());
    await new Promise((resolve) => setTimeout(resolve, LEASE * 1000 + 200));
    expect(await cluster.renew('solo', LEASE)).toBe(false);
    expect(await cluster.join({ id: 'solo', url: 'http://127.0.0.1:2' }, 30)).toBe(true);
    expect(await cluster.heldBy('solo')).toEqual([]);
    await cluster.leave('solo');
  });

  it('gives each free enabled integration to one node only, and only to a node whose lease runs', async () => {
    await integrations(40);
    await integrations(3, false);
    const ids = [...enabledIds];
    await cluster.join({ id: 'a', url: 'http://127.0.0.1:1' }, 30);
    await cluster.join({ id: 'b', url: 'http://127.0.0.1:2' }, 30);
    const [fromA, fromB] = await Promise.all([cluster.claim('a', 15, 2), cluster.claim('b', 15, 2)]);
    expect(new Set([...fromA, ...fromB]).size).toBe(fromA.length + fromB.length);
    // Counted with one node fewer than there are: a node joined since, and what is free is for it.
    expect(await cluster.claim('b', 100, 1)).toEqual([]);
    const rest = await cluster.claim('a', 100, 2);
    expect(rest.length).toBeGreaterThan(0);
    expect(new Set([...fromA, ...fromB, ...rest])).toEqual(new Set(ids));
    expect(await cluster.claim('nobody', 10, 2)).toEqual([]);
    expect(await cluster.census('a')).toMatchObject({ liveNodes: 2, enabled: ids.length, held: ids.length, mine: fromA.length + rest.length });
    const holder = await cluster.holderOf(fromB[0] ?? fromA[0]!);
    expect(holder?.id).toBe(fromB.length > 0 ? 'b' : 'a');
    const nodes = await cluster.liveNodes();
    expect(nodes.map((n) => [n.id, n.integrations])).toEqual([['a', fromA.length + rest.length], ['b', fromB.length]]);
    expect(nodes[0]!.startedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    await cluster.leave('a');
    await cluster.leave('b');
  });

  it("frees an expired node's integrations for the others, announced on the change feed", async () => {
    await cluster.join({ id: 'short', url: 'http://127.0.0.1:1' }, LEASE);
    await cluster.join({ id: 'long', url: 'http://127.0.0.1:2' }, 30);
    const held = await cluster.claim('short', 1000, 2);
    expect(held.length).toBeGreaterThan(0);
    expect(await cluster.claim('long', 1000, 2)).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, LEASE * 1000 + 200));
    expect(await cluster.holderOf(held[0]!)).toBeUndefined();
    changes.length = 0;
    expect(await cluster.reapExpired()).toBe(1);
    await waitFor(() => (changes.some((c) => c.table === 'cluster' && c.id === 'released') ? true : undefined), 'the release to be announced');
    expect((await cluster.claim('long', 1000, 1)).sort()).toEqual([...held].sort());
    await cluster.release('long', held.slice(0, 1));
    expect(await cluster.holderOf(held[0]!)).toBeUndefined();
    await cluster.leave('long');
  });

  it('writes a status only for the node that holds the integration, and announces status-only writes apart', async () => {
    const [id] = await integrations(1);
    await cluster.join({ id: 'writer', url: 'http://127.0.0.1:1' }, 30);
    await cluster.join({ id: 'other', url: 'http://127.0.0.1:2' }, 30);
    let claimed: string[] = [];
    while (!claimed.includes(id!)) claimed = claimed.concat(await cluster.claim('writer', 1000, 2));
    changes.length = 0;
    await store.integrations.writeStatuses(new Map([[id!, { state: 'connected', node: 'other' }]]), 'other');
    expect((await store.integrations.findByIds([id!]))[0]!.status).toEqual({});
    await store.integrations.writeStatuses(new Map([[id!, { state: 'connected', node: 'writer' }]]), 'writer');
    expect((await store.integrations.findByIds([id!]))[0]!.status).toEqual({ state: 'connected', node: 'writer' });
    await waitFor(() => (changes.some((c) => c.table === 'integration_status') ? true : undefined), 'the status change to be announced');
    expect(changes.filter((c) => c.id === id)).toEqual([{ table: 'integration_status', id, detail: applicationId }]);
    await cluster.leave('writer');
    await cluster.leave('other');
  });
});
