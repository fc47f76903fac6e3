import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/lib/ids.js';
import type { IntegrationRow, NewMessage, Store } from '../../src/store/store.js';
import { storeTargets, type OpenedStore } from '../support/stores.js';

/** The retained log (SPEC §6), the same on SQLite and PostgreSQL. */
describe.each(storeTargets())('message log contract on $name', (target) => {
  let opened: OpenedStore;
  let store: Store;
  let applicationId: string;
  let otherApplicationId: string;
  let a: string;
  let b: string;
  let other: string;
  const now = Date.parse('2024-01-01T00:00:00.000Z');

  function integration(app: string): IntegrationRow {
    const date = new Date(now).toISOString();
    return {
      id: newId(),
      applicationId: app,
      name: 'i',
      integrationType: 'mqtt',
      enabled: true,
      topics: [],
      credentialName: null,
      config: {},
      secrets: null,
      status: {},
      creationDate: date,
      lastUpdated: date,
    };
  }

  function message(integrationId: string, app: string, text: string, time = now): NewMessage {
    return { integrationId, applicationId: app, time, topic: 't/1', message: text, encoding: null, sourceId: null, attributes: null };
  }

  beforeAll(async () => {
    opened = await target.open();
    store = opened.store;
    const ownerId = newId();
    const date = new Date(now).toISOString();
    await store.users.insert({ id: ownerId, email: 'o@example.com', passwordHash: 'x', creationDate: date, lastUpdated: date });
    applicationId = newId();
    otherApplicationId = newId();
    for (const id of [applicationId, otherApplicationId]) {
      await store.applications.insert({ id, ownerId, name: 'app', description: null, attributes: {}, creationDate: date, lastUpdated: date });
    }
    const rows = [integration(applicationId), integration(applicationId), integration(otherApplicationId)];
    for (const row of rows) await store.integrations.insert(row);
    [a, b, other] = rows.map((r) => r.id) as [string, string, string];
  });
  afterAll(async () => opened.destroy());

  it('numbers messages per application, in order, and keeps what they carry', async () => {
    const positions = await store.messages.append([
      message(a, applicationId, 'one'),
      message(b, applicationId, 'two'),
      { ...message(a, applicationId, 'AAEC'), encoding: 'base64', sourceId: 'src-1', attributes: { k: 'v' } },
      message(other, otherApplicationId, 'elsewhere'),
    ]);
    expect(positions.slice(0, 3)).toEqual([positions[0]!, positions[0]! + 1, positions[0]! + 2]);
    const next = await store.messages.append([message(a, applicationId, 'four')]);
    expect(next[0]).toBe(positions[2]! + 1);

    const ofA = await store.messages.after(applicationId, a, 0, 100);
    expect(ofA.map((m) => m.message)).toEqual(['one', 'AAEC', 'four']);
    expect(ofA[1]).toMatchObject({ encoding: 'base64', sourceId: 'src-1', attributes: { k: 'v' }, topic: 't/1', time: now, integrationId: a });
    const ofApp = await store.messages.after(applicationId, null, positions[0]!, 100);
    expect(ofApp.map((m) => m.message)).toEqual(['two', 'AAEC', 'four']);
    expect((await store.messages.after(otherApplicationId, null, 0, 100)).map((m) => m.message)).toEqual(['elsewhere']);
  });

  it('pages the collection newest first or oldest first, after a cursor', async () => {
    const all = await store.messages.after(applicationId, a, 0, 100);
    const newest = await store.messages.list(applicationId, a, { sortDirection: 'desc', page: 0, perPage: 2 });
    expect(newest.totalCount).toBe(all.length);
    expect(newest.items.map((m) => m.pos)).toEqual([all.at(-1)!.pos, all.at(-2)!.pos]);
    const since = await store.messages.list(applicationId, a, { since: all[0]!.pos, sortDirection: 'asc', page: 0, perPage: 10 });
    expect(since.items.map((m) => m.pos)).toEqual(all.slice(1).map((m) => m.pos));
    expect(since.totalCount).toBe(all.length - 1);
  });

  it('keeps the newest messages of an integration and remembers what it pruned', async () => {
    const positions = await store.messages.append(Array.from({ length: 10 }, (_, i) => message(b, applicationId, `b${i}`)));
    await store.messages.keepNewest(b, 3);
    expect((await store.messages.after(applicationId, b, 0, 100)).map((m) => m.message)).toEqual(['b7', 'b8', 'b9']);
    const cursor = await store.messages.cursor(applicationId, b, positions[9]!);
    expect(cursor).toEqual({ owner: b, prunedThrough: positions[6]!, last: positions[9]! });
    expect((await store.messages.cursor(applicationId, null, 0)).prunedThrough).toBe(positions[6]!);
    expect((await store.messages.cursor(applicationId, a, positions[9]!)).owner).toBe(b);
  });

  it('reads a page together with the pruned mark', async () => {
    const kept = await store.messages.after(applicationId, b, 0, 100);
    const page = await store.messages.page(applicationId, b, 0, 2);
    expect(page.rows.map((m) => m.pos)).toEqual(kept.slice(0, 2).map((m) => m.pos));
    expect(page.prunedThrough).toBe((await store.messages.cursor(applicationId, b, 0)).prunedThrough);
    const empty = await store.messages.page(applicationId, b, kept.at(-1)!.pos, 10);
    expect(empty.rows).toEqual([]);
    expect(empty.prunedThrough).toBe(page.prunedThrough);
    expect((await store.messages.page(applicationId, null, 0, 1)).prunedThrough).toBe((await store.messages.cursor(applicationId, null, 0)).prunedThrough);
  });

  it('prunes by age, oldest first, and survives an application with nothing left', async () => {
    const old = now - 60_000;
    const appId = newId();
    const date = new Date(now).toISOString();
    const owner = (await store.users.findByEmail('o@example.com'))!.id;
    await store.applications.insert({ id: appId, ownerId: owner, name: 'aged', description: null, attributes: {}, creationDate: date, lastUpdated: date });
    const row = integration(appId);
    await store.integrations.insert(row);
    const positions = await store.messages.append([message(row.id, appId, 'old1', old), message(row.id, appId, 'old2', old), message(row.id, appId, 'new', now)]);
    await store.messages.pruneBefore(now - 1000);
    expect((await store.messages.after(appId, row.id, 0, 10)).map((m) => m.message)).toEqual(['new']);
    expect((await store.messages.cursor(appId, row.id, positions[2]!)).prunedThrough).toBe(positions[1]!);
    await store.messages.pruneBefore(now + 1000);
    expect(await store.messages.after(appId, row.id, 0, 10)).toEqual([]);
    // Positions never go back, even with nothing retained.
    const [again] = await store.messages.append([message(row.id, appId, 'later', now)]);
    expect(again).toBe(positions[2]! + 1);
  });

  it('removes an integration\'s messages with it', async () => {
    const row = integration(applicationId);
    await store.integrations.insert(row);
    await store.messages.append([message(row.id, applicationId, 'gone soon')]);
    await store.integrations.delete(applicationId, row.id);
    expect(await store.messages.after(applicationId, row.id, 0, 10)).toEqual([]);
  });
});
