import fs from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../../src/errors.js';
import { openStore } from '../../src/store/open.js';
import type { Store } from '../../src/store/store.js';
import { tempDir } from '../support/stores.js';
import { integrationRow, seed } from './outage-load.js';

const TIMEOUT_MS = 300;
const SLACK_MS = 1000;

/** A SQLite store whose writes cannot get through (another process holds the lock) answers within DB_TIMEOUT_MS. */
describe('SQLite store when writes cannot get through', () => {
  let store: Store | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    await store?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('answers a write 503 within DB_TIMEOUT_MS while the file is locked, reads go on, and writes work again after', async () => {
    dir = tempDir();
    const file = path.join(dir, 'tributary.db');
    store = await openStore({ kind: 'sqlite', file, timeoutMs: TIMEOUT_MS });
    const applicationId = await seed(store);
    const other = new BetterSqlite3(file);
    other.exec('begin immediate');
    try {
      for (let i = 0; i < 3; i++) {
        const started = performance.now();
        const error = await store.integrations.insert(integrationRow(applicationId)).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(StoreUnavailableError);
        expect(performance.now() - started).toBeLessThan(TIMEOUT_MS + SLACK_MS);
      }
      // Reads are not held up by a writer that waits.
      expect((await store.integrations.list(applicationId, { sortField: 'name', sortDirection: 'asc', page: 0, perPage: 10 })).totalCount).toBe(0);
    } finally {
      other.exec('commit');
      other.close();
    }
    const row = integrationRow(applicationId);
    await store.integrations.insert(row);
    expect(await store.integrations.findById(applicationId, row.id)).toMatchObject({ id: row.id });
  });
});
