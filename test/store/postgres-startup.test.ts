import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/open.js';
import type { Store } from '../../src/store/store.js';
import { services } from '../support/services.js';
import { dropSchema } from '../support/stores.js';

const url = services().postgresUrl;
/** Kysely's migration lock on PostgreSQL (a session advisory lock, the same for every schema). */
const MIGRATION_LOCK = '3853314791062309107';

/** DB_TIMEOUT_MS bounds requests, not start-up: migrations may rightly take longer. */
describe.runIf(url)('PostgreSQL store start-up', () => {
  const schema = `test_startup_${randomBytes(4).toString('hex')}`;
  let store: Store | undefined;
  afterAll(async () => {
    await store?.close();
    await dropSchema(url!, schema);
  });

  it('waits for another node migrating longer than DB_TIMEOUT_MS, then serves with queries bounded again', async () => {
    const other = new pg.Client({ connectionString: url! });
    await other.connect();
    try {
      await other.query(`select pg_advisory_lock(${MIGRATION_LOCK})`);
      const opening = openStore({ kind: 'postgres', url: url!, schema, poolSize: 2, timeoutMs: 300 });
      await new Promise((resolve) => setTimeout(resolve, 1000));
      await other.query(`select pg_advisory_unlock(${MIGRATION_LOCK})`);
      store = await opening;
    } finally {
      await other.end();
    }
    await expect(store.ping()).resolves.toBeUndefined();
    // Requests are bounded: a statement that outlasts DB_TIMEOUT_MS is cancelled by the server.
    const client = new pg.Client({ connectionString: url! });
    await client.connect();
    try {
      await client.query('begin');
      await client.query(`lock table "${schema}".settings in access exclusive mode`);
      const started = performance.now();
      await expect(store.settings.get('k')).rejects.toMatchObject({ statusCode: 503 });
      expect(performance.now() - started).toBeLessThan(1300);
    } finally {
      await client.query('rollback');
      await client.end();
    }
  });
});
