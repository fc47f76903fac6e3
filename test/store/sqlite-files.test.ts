import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/open.js';
import type { Store } from '../../src/store/store.js';
import { tempDir } from '../support/stores.js';
import { integrationRow, seed } from './outage-load.js';

const mode = (file: string) => fs.statSync(file).mode & 0o777;

/** DATA_DIR is created 0700 and the database files are 0600, whatever the umask. */
describe('SQLite files', () => {
  let store: Store | undefined;
  let previousUmask: number | undefined;
  const root = tempDir();
  afterEach(async () => {
    await store?.close();
    store = undefined;
    if (previousUmask !== undefined) process.umask(previousUmask);
    previousUmask = undefined;
  });

  it('creates DATA_DIR 0700 and the database, -wal and -shm 0600 under a permissive umask', async () => {
    previousUmask = process.umask(0);
    const dataDir = path.join(root, 'permissive', 'data');
    const file = path.join(dataDir, 'tributary.db');
    store = await openStore({ kind: 'sqlite', file });
    await store.integrations.insert(integrationRow(await seed(store)));
    expect(mode(dataDir).toString(8)).toBe('700');
    expect(mode(path.dirname(dataDir)).toString(8)).toBe('700');
    for (const name of ['tributary.db', 'tributary.db-wal', 'tributary.db-shm']) expect(mode(path.join(dataDir, name)).toString(8), name).toBe('600');
  });

  it('makes database files left readable by others 0600 again', async () => {
    const dataDir = path.join(root, 'existing');
    fs.mkdirSync(dataDir, { mode: 0o755 });
    const file = path.join(dataDir, 'tributary.db');
    fs.writeFileSync(file, '');
    fs.chmodSync(file, 0o644);
    store = await openStore({ kind: 'sqlite', file });
    await store.integrations.insert(integrationRow(await seed(store)));
    for (const name of ['tributary.db', 'tributary.db-wal', 'tributary.db-shm']) expect(mode(path.join(dataDir, name)).toString(8), name).toBe('600');
  });
});
