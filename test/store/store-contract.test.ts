import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/lib/ids.js';
import type { IntegrationRow, IntegrationStatus, ListQuery, Store } from '../../src/store/store.js';
import { storeTargets, type OpenedStore } from '../support/stores.js';

/** One contract, every store: the same behaviour on SQLite and PostgreSQL. */
describe.each(storeTargets())('store contract on $name', (target) => {
  let opened: OpenedStore;
  let store: Store;
  let ownerId: string;
  let applicationId: string;
  let t = Date.parse('2024-01-01T00:00:00.000Z');
  const at = () => new Date((t += 1000)).toISOString();

  beforeAll(async () => {
    opened = await target.open();
    store = opened.store;
    ownerId = newId();
    await store.users.insert({ id: ownerId, email: 'Owner@Example.com', passwordHash: 'x', creationDate: at(), lastUpdated: at() });
    applicationId = newId();
    await store.applications.insert({ id: applicationId, ownerId, name: 'app', description: null, attributes: {}, creationDate: at(), lastUpdated: at() });
  });
  afterAll(async () => opened.destroy());

  function integration(name: string, overrides: Partial<IntegrationRow> = {}): IntegrationRow {
    const date = at();
    return {
      id: newId(),
      applicationId,
      name,
      integrationType: 'mqtt',
      enabled: true,
      topics: ['a/b'],
      credentialName: null,
      config: { host: 'h', port: 1883, protocol: 'mqtt' },
      secrets: null,
      status: {},
      creationDate: date,
      lastUpdated: date,
      ...overrides,
    };
  }

  const query = (overrides: Partial<ListQuery<'name' | 'id' | 'creationDate' | 'integrationType' | 'lastUpdated'>> = {}) => ({
    sortField: 'name' as const,
    sortDirection: 'asc' as const,
    page: 0,
    perPage: 1000,
    ...overrides,
  });

  it('finds users by email case-insensitively', async () => {
    expect((await store.users.findByEmail('owner@example.COM'))?.id).toBe(ownerId);
    expect(await store.users.findByEmail('nobody@example.com')).toBeUndefined();
    expect(await store.users.count()).toBe(1);
  });

  it('refuses a second user with the same email in another case', async () => {
    expect(await store.users.insert({ id: newId(), email: 'OWNER@example.com', passwordHash: 'x', creationDate: at(), lastUpdated: at() })).toBe(false);
    expect(await store.users.count()).toBe(1);
  });

  it('round-trips an integration row exactly', async () => {
    const row = integration('roundtrip', { topics: ['x/#', 'y/+'], credentialName: 'cred', secrets: 'v1.a.b.c', status: { connectInfo: { ts: 5 } }, enabled: false });
    await store.integrations.insert(row);
    expect(await store.integrations.findById(applicationId, row.id)).toEqual(row);
    expect(await store.integrations.findById(newId(), row.id)).toBeUndefined();
    await store.integrations.delete(applicationId, row.id);
  });

  describe('lists', () => {
    const names = ['beta', 'Alpha', 'alpha', 'gamma%', 'gam_ma', 'x?y', 'x[y]', 'back\\slash', 'Ärger', 'ärgerlich'];
    const ids: string[] = [];

    beforeAll(async () => {
      for (const name of names) {
        const row = integration(name, { integrationType: name.startsWith('g') ? 'websocket' : 'mqtt' });
        ids.push(row.id);
        await store.integrations.insert(row);
      }
      // Ties on the sort field, for stable paging.
      for (let i = 0; i < 7; i++) await store.integrations.insert(integration('same'));
    });

    it('sorts bytewise, identically on every store', async () => {
      const page = await store.integrations.list(applicationId, query({ filterField: 'name', filter: '*' }));
      const sorted = page.items.map((i) => i.name).filter((n) => n !== 'same');
      expect(sorted).toEqual(['Alpha', 'alpha', 'back\\slash', 'beta', 'gam_ma', 'gamma%', 'x?y', 'x[y]', 'Ärger', 'ärgerlich']);
    });

    it('filters with a case-insensitive glob where only * is special', async () => {
      const match = async (glob: string) =>
        (await store.integrations.list(applicationId, query({ filterField: 'name', filter: glob }))).items.map((i) => i.name).sort();
      expect(await match('ALPHA')).toEqual(['Alpha', 'alpha']);
      expect(await match('a*')).toEqual(['Alpha', 'alpha']);
      expect(await match('gamma%')).toEqual(['gamma%']);
      expect(await match('gam_ma')).toEqual(['gam_ma']);
      expect(await match('gam%')).toEqual([]);
      expect(await match('ga_ma%')).toEqual([]);
      expect(await match('x?y')).toEqual(['x?y']);
      expect(await match('x[y]')).toEqual(['x[y]']);
      expect(await match('back\\slash')).toEqual(['back\\slash']);
      expect(await match('*\\*')).toEqual(['back\\slash']);
      expect(await match('ärger*')).toEqual(['Ärger', 'ärgerlich']);
      expect(await match('*')).toHaveLength(names.length + 7);
    });

    it('filters on integrationType case-insensitively', async () => {
      const page = await store.integrations.list(applicationId, query({ filterField: 'integrationType', filter: 'WEB*' }));
      expect(page.items.map((i) => i.name).sort()).toEqual(['gam_ma', 'gamma%']);
      expect(page.totalCount).toBe(2);
    });

    it('pages through ties without overlap or gaps, in both directions', async () => {
      for (const sortDirection of ['asc', 'desc'] as const) {
        const all = (await store.integrations.list(applicationId, query({ sortField: 'name', sortDirection }))).items.map((i) => i.id);
        const paged: string[] = [];
        for (let page = 0; page * 3 < all.length; page++) {
          const result = await store.integrations.list(applicationId, query({ sortField: 'name', sortDirection, page, perPage: 3 }));
          expect(result.totalCount).toBe(all.length);
          paged.push(...result.items.map((i) => i.id));
        }
        expect(paged).toEqual(all);
        expect(new Set(paged).size).toBe(all.length);
      }
    });

    it('sorts by every sortable field with ties broken by id', async () => {
      for (const sortField of ['name', 'id', 'creationDate', 'integrationType', 'lastUpdated'] as const) {
        const items = (await store.integrations.list(applicationId, query({ sortField }))).items;
        const key = (i: IntegrationRow) =>
          ({ name: i.name, id: i.id, creationDate: i.creationDate, integrationType: i.integrationType, lastUpdated: i.lastUpdated })[sortField];
        for (let k = 1; k < items.length; k++) {
          const a = items[k - 1]!;
          const b = items[k]!;
          const cmp = Buffer.compare(Buffer.from(key(a)), Buffer.from(key(b)));
          expect(cmp < 0 || (cmp === 0 && a.id < b.id)).toBe(true);
        }
      }
    });

    it('pages past the end return nothing but the total', async () => {
      const page = await store.integrations.list(applicationId, query({ page: 100, perPage: 10 }));
      expect(page.items).toEqual([]);
      expect(page.totalCount).toBe(names.length + 7);
    });

    it('lists enabled integrations by type in id order, paged by id', async () => {
      const first = await store.integrations.listEnabled(['websocket'], null, 1);
      expect(first).toHaveLength(1);
      const rest = await store.integrations.listEnabled(['websocket'], first[0]!.id, 10);
      expect([...first, ...rest].map((r) => r.name).sort()).toEqual(['gam_ma', 'gamma%']);
      expect(await store.integrations.listEnabled([], null, 10)).toEqual([]);
    });

    it('writes many statuses at once, skipping rows that are gone', async () => {
      const statuses = new Map<string, IntegrationStatus>(ids.map((id, i) => [id, { connectInfo: { ts: i }, lastKeepAlive: 1000 + i }]));
      statuses.set(newId(), { connectInfo: { ts: 1 } });
      await store.integrations.writeStatuses(statuses);
      const row = await store.integrations.findById(applicationId, ids[3]!);
      expect(row?.status).toEqual({ connectInfo: { ts: 3 }, lastKeepAlive: 1003 });
    });
  });

  it('updates an integration without touching its status', async () => {
    const row = integration('to-update');
    await store.integrations.insert(row);
    await store.integrations.writeStatuses(new Map([[row.id, { connectInfo: { ts: 42 } }]]));
    expect(await store.integrations.update({ ...row, name: 'updated', status: {} })).toBe(true);
    const stored = await store.integrations.findById(applicationId, row.id);
    expect(stored?.name).toBe('updated');
    expect(stored?.status).toEqual({ connectInfo: { ts: 42 } });
    expect(await store.integrations.update({ ...row, applicationId: newId() })).toBe(false);
  });

  it('keeps integration events newest first and trims to a bound', async () => {
    const row = integration('with-events');
    await store.integrations.insert(row);
    const events = Array.from({ length: 12 }, (_, i) => ({ id: newId(), integrationId: row.id, applicationId, ts: 1000 + i, type: i % 2 ? 'connected' : 'disconnected', message: `e${i}` }));
    await store.integrationEvents.insertMany([...events, { ...events[0]!, id: newId(), integrationId: newId() }]);
    await store.integrationEvents.trim([row.id], 5);
    const page = await store.integrationEvents.list(applicationId, row.id, { sortField: 'ts', sortDirection: 'desc', page: 0, perPage: 100 });
    expect(page.items.map((e) => e.message)).toEqual(['e11', 'e10', 'e9', 'e8', 'e7']);
    expect(page.totalCount).toBe(5);
    const filtered = await store.integrationEvents.list(applicationId, row.id, { sortField: 'ts', sortDirection: 'desc', page: 0, perPage: 100, filterField: 'type', filter: 'CONN*' });
    expect(filtered.items.map((e) => e.message)).toEqual(['e11', 'e9', 'e7']);
  });

  it('deletes an application with its tokens, integrations and events', async () => {
    const appId = newId();
    await store.applications.insert({ id: appId, ownerId, name: 'doomed', description: 'd', attributes: { endpointSlug: 'x' }, creationDate: at(), lastUpdated: at() });
    const row = { ...integration('child'), applicationId: appId };
    await store.integrations.insert(row);
    await store.integrationEvents.insertMany([{ id: newId(), integrationId: row.id, applicationId: appId, ts: 1, type: 'connected', message: null }]);
    const token = { id: newId(), applicationId: appId, name: 't', description: null, scope: ['all.Application'], status: 'active' as const, expirationDate: null, creatorId: ownerId, creatorType: 'user' as const, creatorName: null, creationDate: at(), lastUpdated: at() };
    await store.tokens.insert(token);
    expect((await store.applications.countChildren([appId])).get(appId)).toEqual({ integrationCount: 1, apiTokenCount: 1 });

    expect(await store.applications.delete(appId)).toEqual([row.id]);
    expect(await store.applications.findById(appId)).toBeUndefined();
    expect(await store.tokens.findById(token.id)).toBeUndefined();
    expect(await store.integrations.findById(appId, row.id)).toBeUndefined();
    expect((await store.integrationEvents.list(appId, row.id, { sortField: 'ts', sortDirection: 'desc', page: 0, perPage: 10 })).totalCount).toBe(0);
    expect(await store.applications.delete(appId)).toBeUndefined();
  });

  it('lists applications of their owner only, with a glob filter', async () => {
    const other = newId();
    await store.users.insert({ id: other, email: 'other@example.com', passwordHash: 'x', creationDate: at(), lastUpdated: at() });
    await store.applications.insert({ id: newId(), ownerId: other, name: 'app', description: null, attributes: {}, creationDate: at(), lastUpdated: at() });
    const mine = await store.applications.list(ownerId, { sortField: 'name', sortDirection: 'asc', page: 0, perPage: 10, filterField: 'name', filter: 'AP*' });
    expect(mine.items.map((a) => a.id)).toEqual([applicationId]);
  });

  it('keeps the first value of a setting', async () => {
    expect(await store.settings.getOrInsert('k', 'first')).toBe('first');
    expect(await store.settings.getOrInsert('k', 'second')).toBe('first');
    expect(await store.settings.get('k')).toBe('first');
    expect(await store.settings.get('missing')).toBeUndefined();
  });
});
