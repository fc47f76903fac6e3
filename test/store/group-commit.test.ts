import fs from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { sql, type Kysely } from 'kysely';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { newId } from '../../src/lib/ids.js';
import { openSqlite } from '../../src/store/dialects/sqlite.js';
import type { IntegrationRow, Store } from '../../src/store/store.js';
import { storeTargets, tempDir, type OpenedStore } from '../support/stores.js';

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

});

/** Where each statement runs: reads on the event loop, anything that writes on the writer thread. */
describe('SQLite group commit, by statement', () => {
  type Tables = { t: { id: number; v: string } };
  let dir: string;
  let file: string;
  let sqlite: ReturnType<typeof openSqlite>;
  let db: Kysely<Tables>;
  beforeEach(async () => {
    dir = tempDir();
    file = path.join(dir, 'routes.db');
    sqlite = openSqlite(file);
    db = sqlite.db as unknown as Kysely<Tables>;
    await sql`create table t (id integer primary key, v text not null)`.execute(db);
  });
  afterEach(async () => {
    await sqlite.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const values = async () => (await sql<{ v: string }>`select v from t order by id`.execute(db)).rows.map((r) => r.v);

  it('runs an explicit transaction alone: writes from outside wait for its end and are not part of it', async () => {
    let outside: Promise<unknown> | undefined;
    let outsideDone = false;
    const rolledBack = db.transaction().execute(async (trx) => {
      await sql`insert into t (v) values ('inside')`.execute(trx);
      outside = sql`insert into t (v) values ('outside')`.execute(db).then(() => (outsideDone = true));
      // Every chance to run now, were it not kept out: a batch goes at the end of the turn.
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(outsideDone).toBe(false);
      const seen = await sql<{ v: string }>`select v from t order by id`.execute(trx);
      expect(seen.rows.map((r) => r.v)).toEqual(['inside']);
      throw new Error('roll back');
    });
    await expect(rolledBack).rejects.toThrow('roll back');
    await outside;
    // Rolled back alone: the write that waited committed after it.
    expect(await values()).toEqual(['outside']);
  });

  it('sends a WITH … INSERT … RETURNING to the writer, never writing on the event loop', async () => {
    // Another connection holds the write lock for a while, as a checkpoint or another process might.
    const other = new BetterSqlite3(file);
    other.pragma('busy_timeout = 5000');
    other.exec('begin immediate');
    const started = performance.now();
    const insert = sql<{ id: number; v: string }>`with n (v) as (select 'returned') insert into t (v) select v from n returning id, v`.execute(db);
    // The event loop stays free while the writer thread waits for the lock.
    const late = await new Promise<number>((resolve) => {
      const due = performance.now() + 20;
      setTimeout(() => resolve(performance.now() - due), 20);
    });
    expect(late).toBeLessThan(500);
    other.exec('commit');
    other.close();
    const { rows } = await insert;
    expect(rows).toEqual([{ id: 1, v: 'returned' }]);
    expect(performance.now() - started).toBeLessThan(2000);
    expect(await values()).toEqual(['returned']);
  });

  it('reads on the event loop, WITH queries too, without waiting behind the writer', async () => {
    await sql`insert into t (v) values ('a')`.execute(db);
    const other = new BetterSqlite3(file);
    other.exec('begin immediate');
    let insertDone = false;
    const insert = sql`insert into t (v) values ('b')`.execute(db).then(() => (insertDone = true));
    try {
      // The writer is stuck behind the lock; a read queued behind it would be too.
      const read = await sql<{ n: number }>`with c as (select count(*) as n from t) select n from c`.execute(db);
      expect(read.rows).toEqual([{ n: 1 }]);
      expect(insertDone).toBe(false);
    } finally {
      other.exec('commit');
      other.close();
    }
    await insert;
    expect(await values()).toEqual(['a', 'b']);
  });
});
