import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/lib/ids.js';
import type { IntegrationRow, Store } from '../../src/store/store.js';
import { storeTargets, type OpenedStore } from '../support/stores.js';

const sqlite = storeTargets().find((t) => t.name === 'sqlite')!;

/** Writes issued together share one SQLite transaction; each must still succeed or fail on its own. */
describe('SQLite group commit', () => {
  let opened: OpenedStore;
  let store: Store;
  let applicationId: string;

  beforeAll(async () => {
    opened = await sqlite.open();
    store = opened.store;
    const ownerId = newId();
    const now = new Date().toISOString();
    await store.users.insert({ id: ownerId, email: 'g@example.com', passwordHash: 'x', creationDate: now, lastUpdated: now });
    applicationId = newId();
    await store.applications.insert({ id: applicationId, ownerId, name: 'a', description: null, attributes: {}, creationDate: now, lastUpdated: now });
  });
  afterAll(async () => opened.destroy());

  const row = (id = newId()): IntegrationRow => {
    const now = new Date().toISOString();
    return { id, applicationId, name: id, integrationType: 'mqtt', enabled: true, topics: [], credentialName: null, config: {}, secrets: null, status: {}, creationDate: now, lastUpdated: now };
  };

  it('commits concurrent writes, failing only the one that breaks a constraint', async () => {
    const taken = row();
    await store.integrations.insert(taken);
    const rows = Array.from({ length: 50 }, () => row());
    const results = await Promise.allSettled([...rows.slice(0, 25).map((r) => store.integrations.insert(r)), store.integrations.insert(taken), ...rows.slice(25).map((r) => store.integrations.insert(r))]);
    expect(results.filter((r) => r.status === 'rejected')).toHaveLength(1);
    for (const r of rows) expect(await store.integrations.findById(applicationId, r.id)).toBeDefined();
  });

  it('runs an explicit transaction alone and keeps others out until it ends', async () => {
    const a = row();
    const b = row();
    const appDelete = store.applications.delete(newId()); // an explicit transaction (select + delete)
    const inserts = Promise.all([store.integrations.insert(a), store.integrations.insert(b)]);
    await Promise.all([appDelete, inserts]);
    expect(await store.integrations.findById(applicationId, a.id)).toBeDefined();
    expect(await store.integrations.findById(applicationId, b.id)).toBeDefined();
  });
});
