import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/lib/ids.js';
import { systemClock } from '../../src/runtime/clock.js';
import { StatusWriter } from '../../src/runtime/status-writer.js';
import type { Store } from '../../src/store/store.js';
import { storeTargets, type OpenedStore } from '../support/stores.js';

/** A logger that keeps its records, to check what was reported. */
function recordingLogger() {
  const records: { level: number; msg: string; statuses?: number; events?: number }[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) records.push(JSON.parse(line) as (typeof records)[number]);
      done();
    },
  });
  return { logger: pino({ level: 'warn' }, sink), records };
}

/** The store, with status writes failing while `failures` lasts. */
function failingStatuses(store: Store, failures: { left: number }): Store {
  const integrations = new Proxy(store.integrations, {
    get(target, key, receiver) {
      if (key !== 'writeStatuses') return Reflect.get(target, key, receiver) as unknown;
      return async (statuses: Parameters<Store['integrations']['writeStatuses']>[0]) => {
        if (failures.left > 0) {
          failures.left -= 1;
          throw new Error('database unreachable');
        }
        return target.writeStatuses(statuses);
      };
    },
  });
  return new Proxy(store, { get: (target, key, receiver) => (key === 'integrations' ? integrations : (Reflect.get(target, key, receiver) as unknown)) });
}

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

  it('skips statuses and events of integrations deleted meanwhile, writing the others', async () => {
    const { logger, records } = recordingLogger();
    const writer = new StatusWriter(store, systemClock, logger, { flushMs: 10_000, eventsPerIntegration: 3 });
    const ghost = newId();
    writer.setStatus(ghost, { connectInfo: { ts: 1 } });
    writer.addEvent({ integrationId: ghost, applicationId, type: 'connected', message: null });
    writer.setStatus(ids[0]!, { state: 'connecting', connectInfo: { ts: 11 } });
    writer.addEvent({ integrationId: ids[0]!, applicationId, type: 'stopped', message: 'Tributary stopped' });
    await writer.stop();
    expect(records).toEqual([]); // nothing failed: a ghost is skipped, not an error
    expect((await store.integrations.findById(applicationId, ids[0]!))?.status).toEqual({ state: 'connecting', connectInfo: { ts: 11 } });
    const events = await store.integrationEvents.list(applicationId, ids[0]!, { sortField: 'ts', sortDirection: 'desc', page: 0, perPage: 1 });
    expect(events.items[0]).toMatchObject({ type: 'stopped', message: 'Tributary stopped' });
    expect(await store.integrations.findById(applicationId, ghost)).toBeUndefined();
  });

  it('retries a last write that fails on stop, so the final statuses reach the store', async () => {
    const { logger, records } = recordingLogger();
    const failures = { left: 1 };
    const writer = new StatusWriter(failingStatuses(store, failures), systemClock, logger, { flushMs: 10_000, eventsPerIntegration: 3 });
    writer.setStatus(ids[1]!, { state: 'connecting', disconnectInfo: { ts: 12, error: 'Tributary stopped' } });
    await writer.stop();
    expect(failures.left).toBe(0);
    expect((await store.integrations.findById(applicationId, ids[1]!))?.status).toEqual({ state: 'connecting', disconnectInfo: { ts: 12, error: 'Tributary stopped' } });
    expect(records.filter((r) => r.level >= 50)).toEqual([]);
  });

  it('reports the statuses it could not write on stop instead of dropping them silently', async () => {
    const { logger, records } = recordingLogger();
    const writer = new StatusWriter(failingStatuses(store, { left: Infinity }), systemClock, logger, { flushMs: 10_000, eventsPerIntegration: 3 });
    writer.setStatus(ids[2]!, { state: 'connecting', disconnectInfo: { ts: 13, error: 'Tributary stopped' } });
    writer.addEvent({ integrationId: ids[2]!, applicationId, type: 'stopped', message: 'Tributary stopped' });
    await writer.stop();
    expect(records.filter((r) => r.level >= 50)).toEqual([expect.objectContaining({ statuses: 1, events: 1, msg: expect.stringContaining('lost') as unknown })]);
    expect((await store.integrations.findById(applicationId, ids[2]!))?.status).not.toMatchObject({ disconnectInfo: { ts: 13 } });
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

describe('StatusWriter flushes', () => {
  it('never has two writes in flight, so an older status of an integration cannot land after a newer one', async () => {
    // The database as a pool of connections would be: each write takes its own time, and they may overtake each other.
    const landed: string[] = [];
    const flushes: Promise<void>[] = [];
    let calls = 0;
    const integrations = {
      writeStatuses: async (statuses: ReadonlyMap<string, { state?: string }>) => {
        calls += 1;
        // While the first write is on its way a newer status comes, and someone flushes too (a handover);
        // while the second is, a newer one still.
        if (calls === 1) {
          writer.setStatus('x', { state: 'reconnecting' });
          flushes.push(writer.flush());
        }
        if (calls === 2) writer.setStatus('x', { state: 'connected' });
        await new Promise((resolve) => setTimeout(resolve, calls === 1 ? 20 : calls === 2 ? 40 : 1));
        for (const status of statuses.values()) landed.push(status.state!);
      },
    };
    const store = { integrations, integrationEvents: {} } as unknown as Store;
    // Declared after the store that calls it: the store's calls come once flushing has begun.
    const writer = new StatusWriter(store, systemClock, pino({ level: 'silent' }), { flushMs: 60_000, eventsPerIntegration: 10 });
    writer.setStatus('x', { state: 'connecting' });
    await writer.flush();
    await Promise.all(flushes);
    await writer.flush();
    expect(landed).toEqual(['connecting', 'reconnecting', 'connected']);
  });
});
