import path from 'node:path';
import { sql, type Kysely } from 'kysely';
import { describe, expect, it } from 'vitest';
import { globToLike } from '../../src/lib/glob.js';
import { openSqlite, sqliteTraits } from '../../src/store/dialects/sqlite.js';
import { migrateToLatest } from '../../src/store/migrations/index.js';
import { tempDir } from '../support/stores.js';

/** Every list query is served by an index (owner, sort column, id): no table scan, no temporary sort. */
describe('list queries use their indexes (SQLite query plans)', () => {
  const lists = [
    { table: 'integrations', owner: 'application_id', sorts: ['name', 'id', 'creation_date', 'integration_type', 'last_updated'] },
    { table: 'api_tokens', owner: 'application_id', sorts: ['name', 'status', 'id', 'creation_date', 'last_updated', 'expiration_date'] },
    { table: 'applications', owner: 'owner_id', sorts: ['name', 'id', 'creation_date', 'last_updated'] },
  ];

  it.each(lists)('$table', async ({ table, owner, sorts }) => {
    const { db, close } = openSqlite(path.join(tempDir(), 'plans.db'));
    try {
      await migrateToLatest(db as Kysely<unknown>, sqliteTraits);
      for (const sort of sorts) {
        for (const filtered of [false, true]) {
          const where = filtered ? sql`and name_fold like ${globToLike('sensor-*')} escape '\\'` : sql``;
          const plan = await sql<{ detail: string }>`explain query plan select * from ${sql.table(table)} where ${sql.ref(owner)} = ${'x'} ${where} order by ${sort === 'id' ? sql`id desc` : sql`${sql.ref(sort)} desc, id desc`} limit 100`.execute(db);
          const details = plan.rows.map((r) => r.detail).join(' | ');
          expect(details, `${table} by ${sort}${filtered ? ' filtered' : ''}`).toMatch(/USING (COVERING )?INDEX/);
          expect(details, `${table} by ${sort}${filtered ? ' filtered' : ''}`).not.toMatch(/TEMP B-TREE|SCAN (integrations|api_tokens|applications)$/);
        }
      }
    } finally {
      await close();
    }
  });
});
