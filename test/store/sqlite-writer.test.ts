import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { sql, type Kysely } from 'kysely';
import { openSqlite } from '../../src/store/dialects/sqlite.js';
import { outcomeError, SqliteWriter, type WriteOutcome } from '../../src/store/dialects/sqlite-writer.js';
import { tempDir } from '../support/stores.js';

const changes = (outcome: WriteOutcome) => ('changes' in outcome ? outcome.changes : undefined);

/** The thread every SQLite write goes through (see src/store/dialects/sqlite-writer.ts). */
describe('SQLite writer thread', () => {
  const open: SqliteWriter[] = [];
  const start = () => {
    const file = path.join(tempDir(), 'writer.db');
    const setup = new BetterSqlite3(file);
    setup.pragma('journal_mode = WAL');
    setup.close();
    const writer = new SqliteWriter(file, ['busy_timeout = 5000']);
    open.push(writer);
    return { writer, read: () => new BetterSqlite3(file, { readonly: true }) };
  };
  afterEach(async () => {
    for (const writer of open.splice(0)) await writer.close();
  });

  it('commits a batch as one transaction in which a failing statement fails alone', async () => {
    const { writer, read } = start();
    await writer.one({ exec: 'create table t (v integer primary key)' });
    const outcomes = await writer.batch([
      { sql: 'insert into t (v) values (?)', params: [1] },
      { sql: 'insert into t (v) values (?)', params: [1] },
      { sql: 'insert into t (v) values (?)', params: [2] },
    ]);
    expect(outcomes.map(changes)).toEqual([1, undefined, 1]);
    expect(outcomeError(outcomes[1]!)?.message).toMatch(/UNIQUE constraint failed/);
    expect((outcomeError(outcomes[1]!) as { code?: string }).code).toBe('SQLITE_CONSTRAINT_PRIMARYKEY');
    const db = read();
    expect(db.prepare('select v from t order by v').pluck().all()).toEqual([1, 2]);
    db.close();
  });

  it('keeps working past its statement cache, and retries a statement that failed to prepare', async () => {
    const { writer, read } = start();
    const early = await writer.batch([{ sql: 'insert into later (v) values (?)', params: [0] }]);
    expect(outcomeError(early[0]!)?.message).toMatch(/no such table: later/);
    await writer.one({ exec: 'create table later (v integer)' });
    // 1,500 distinct statements in several messages, then the first ones again.
    for (let start = 0; start < 1500; start += 300) {
      const ops = Array.from({ length: 300 }, (_, i) => ({ sql: `insert into later (v) values (?) -- ${start + i}`, params: [start + i] }));
      expect((await writer.batch(ops)).every((o) => changes(o) === 1)).toBe(true);
    }
    const again = await writer.batch([
      { sql: 'insert into later (v) values (?)', params: [-1] },
      { sql: 'insert into later (v) values (?) -- 0', params: [-2] },
    ]);
    expect(again.map(changes)).toEqual([1, 1]);
    const db = read();
    expect(db.prepare('select count(*) from later').pluck().get()).toBe(1502);
    db.close();
  });

  it('answers every batch sent while it was busy, in order, each with its own outcomes', async () => {
    const { writer, read } = start();
    await writer.one({ exec: 'create table t (v integer primary key)' });
    const batches = Array.from({ length: 50 }, (_, b) => writer.batch(Array.from({ length: 20 }, (_, i) => ({ sql: 'insert into t (v) values (?)', params: [b * 20 + i] }))));
    // A duplicate inside the burst fails alone.
    const duplicate = writer.batch([{ sql: 'insert into t (v) values (?)', params: [5] }]);
    for (const outcomes of await Promise.all(batches)) expect(outcomes.map(changes)).toEqual(Array(20).fill(1));
    expect(outcomeError((await duplicate)[0]!)?.message).toMatch(/UNIQUE/);
    const db = read();
    expect(db.prepare('select count(*) from t').pluck().get()).toBe(1000);
    db.close();
  });

  it('refuses work after it is closed with an error the store reports as unavailable', async () => {
    const { writer } = start();
    await writer.close();
    open.splice(open.indexOf(writer), 1);
    await expect(writer.batch([{ exec: 'select 1' }])).rejects.toMatchObject({ code: 'SQLITE_CLOSED' });
  });

  it('ends a transaction whose COMMIT fails, so the writes after it still commit', async () => {
    const { db, close } = openSqlite(path.join(tempDir(), 'commit.db'));
    const raw = db as unknown as Kysely<Record<string, { id: number; parent: number | null }>>;
    try {
      await sql`create table parent (id integer primary key)`.execute(raw);
      await sql`create table child (id integer primary key, parent integer references parent (id) deferrable initially deferred)`.execute(raw);
      // The foreign key is checked at COMMIT, which therefore fails.
      await expect(raw.transaction().execute((trx) => trx.insertInto('child').values({ id: 1, parent: 42 }).execute())).rejects.toThrow(/FOREIGN KEY/);
      await sql`insert into parent (id) values (42)`.execute(raw);
      await raw.transaction().execute((trx) => trx.insertInto('child').values({ id: 2, parent: 42 }).execute());
      const rows = await raw.selectFrom('child').select('id').execute();
      expect(rows.map((r) => r.id)).toEqual([2]);
    } finally {
      await close();
    }
  });
});
