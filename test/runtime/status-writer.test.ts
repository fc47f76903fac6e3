import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/lib/ids.js';
import { systemClock } from '../../src/runtime/clock.js';
import { StatusWriter } from '../../src/runtime/status-writer.js';
import type { Store } from '../../src/store/store.js';
import { storeTargets, type OpenedStore } from '../support/stores.js';

describe.each(storeTargets())('StatusWriter on $name', (target) => {
  let opened: OpenedStore;
  let store: Store;
  let applicationId: string;
  const ids: string[] = [];

  beforeAll(async () => {
    opened = await target.open();
    store = opened.store;
    const ownerId = newId();
    const now = new Date().toISOString();
    await store.users.insert({ id: ownerId, email: 'w@example.com', passwordHash: 'x', creationDate: now, lastUpdated: now });
    applicationId = newId();
    await store.applications.insert({ id: applicationId, ownerId, name: 'a', description: null, attributes: {}, creationDate: now, lastUpdated: now });
    for (let i = 0; i < 3; i++) {
      const id = newId();
      ids.push(id);
      await store.integrations.insert({ id, applicationId, name: `i${i}`, integrationType: 'mqtt', enabled: true, topics: [], credentialName: null, config: {}, secrets: null, status: {}, creationDate: now, lastUpdated: now });
    }
  });
  afterAll(async () => opened.destroy());

  it('coalesces changes per integration and writes them within the flush interval', async () => {
    const writer = new StatusWriter(store, systemClock, pino({ level: 'silent' }), { flushMs: 50, eventsPerIntegration: 3 });
    writer.setStatus(ids[0]!, { connectInfo: { ts: 1 } });
    writer.setStatus(ids[0]!, { connectInfo: { ts: 2 } });
    writer.setStatus(ids[1]!, { disconnectInfo: { ts: 3, error: 'Keepalive timeout' }, nextAttempt: 4 });
    for (let i = 0; i < 5; i++) writer.addEvent({ integrationId: ids[0]!, applicationId, type: 'connected', message: `m${i}` });
    await new Promise((r) => setTimeout(r, 150));
    expect((await store.integrations.findById(applicationId, ids[0]!))?.status).toEqual({ connectInfo: { ts: 2 } });
    expect((await store.integrations.findById(applicationId, ids[1]!))?.status).toEqual({ disconnectInfo: { ts: 3, error: 'Keepalive timeout' }, nextAttempt: 4 });
    const events = await store.integrationEvents.list(applicationId, ids[0]!, { sortField: 'ts', sortDirection: 'desc', page: 0, perPage: 10 });
    expect(events.totalCount).toBe(3);
    await writer.stop();
  });

  it('writes nothing more for a forgotten integration and flushes on stop', async () => {
    const writer = new StatusWriter(store, systemClock, pino({ level: 'silent' }), { flushMs: 10_000, eventsPerIntegration: 3 });
    writer.setStatus(ids[2]!, { connectInfo: { ts: 9 } });
    writer.addEvent({ integrationId: ids[2]!, applicationId, type: 'connected', message: null });
    writer.forget(ids[2]!);
    writer.setStatus(ids[1]!, { connectInfo: { ts: 10 } });
    await writer.stop();
    expect((await store.integrations.findById(applicationId, ids[2]!))?.status).toEqual({});
    expect((await store.integrations.findById(applicationId, ids[1]!))?.status).toEqual({ connectInfo: { ts: 10 } });
  });

  it('skips statuses and events of integrations deleted meanwhile', async () => {
    const writer = new StatusWriter(store, systemClock, pino({ level: 'silent' }), { flushMs: 10, eventsPerIntegration: 3 });
    const ghost = newId();
    writer.setStatus(ghost, { connectInfo: { ts: 1 } });
    writer.addEvent({ integrationId: ghost, applicationId, type: 'connected', message: null });
    await expect(writer.stop()).resolves.toBeUndefined();
  });
});

describe.each(storeTargets())('StatusWriter slices on $name', (target) => {
  it('writes ten thousand statuses in slices that leave the event loop free', async () => {
    const opened = await target.open();
    const store = opened.store;
    const ownerId = newId();
    const now = new Date().toISOString();
    await store.users.insert({ id: ownerId, email: 's@example.com', passwordHash: 'x', creationDate: now, lastUpdated: now });
    const applicationId = newId();
    await store.applications.insert({ id: applicationId, ownerId, name: 'a', description: null, attributes: {}, creationDate: now, lastUpdated: now });
    const ids = Array.from({ length: 3000 }, () => newId());
    for (const id of ids) {
      await store.integrations.insert({ id, applicationId, name: id, integrationType: 'mqtt', enabled: true, topics: [], credentialName: null, config: {}, secrets: null, status: {}, creationDate: now, lastUpdated: now });
    }
    const writer = new StatusWriter(store, systemClock, pino({ level: 'silent' }), { flushMs: 10_000, eventsPerIntegration: 3 });
    for (const id of ids) {
      writer.setStatus(id, { disconnectInfo: { ts: 1, error: 'Connection closed by the broker' }, nextAttempt: 2 });
      writer.addEvent({ integrationId: id, applicationId, type: 'disconnected', message: 'Connection closed by the broker' });
    }
    let ticks = 0;
    const ticker = setInterval(() => (ticks += 1), 1);
    await writer.stop();
    clearInterval(ticker);
    expect(ticks).toBeGreaterThan(0); // the loop turned while the slices were written
    expect((await store.integrations.findById(applicationId, ids[2999]!))?.status.nextAttempt).toBe(2);
    expect((await store.integrationEvents.list(applicationId, ids[0]!, { sortField: 'ts', sortDirection: 'desc', page: 0, perPage: 5 })).totalCount).toBe(1);
    await opened.destroy();
  });
});
