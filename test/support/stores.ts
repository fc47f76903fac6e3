import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { openStore } from '../../src/store/open.js';
import type { Store } from '../../src/store/store.js';
import { services } from './services.js';

export interface OpenedStore {
  readonly store: Store;
  /** Closes the store and removes its database (file or schema). */
  destroy(): Promise<void>;
}

export interface StoreTarget {
  readonly name: 'sqlite' | 'postgres';
  open(): Promise<OpenedStore>;
}

export function tempDir(prefix = 'tributary-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

const sqliteTarget: StoreTarget = {
  name: 'sqlite',
  async open() {
    const dir = tempDir();
    const store = await openStore({ kind: 'sqlite', file: path.join(dir, 'tributary.db') });
    return {
      store,
      async destroy() {
        await store.close();
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};

/** Drops a test's PostgreSQL schema with everything in it (the end of every PostgreSQL leg). */
export async function dropSchema(url: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

function postgresTarget(url: string): StoreTarget {
  return {
    name: 'postgres',
    async open() {
      // A fresh schema per store, so test files running in parallel never meet.
      const schema = `test_${process.pid}_${randomBytes(4).toString('hex')}`;
      const store = await openStore({ kind: 'postgres', url, schema, poolSize: 4 });
      return {
        store,
        async destroy() {
          await store.close();
          await dropSchema(url, schema);
        },
      };
    },
  };
}

/** SQLite always; PostgreSQL when the machine has it (always under CI=true, see global-setup). */
export function storeTargets(): StoreTarget[] {
  const url = services().postgresUrl;
  return url ? [sqliteTarget, postgresTarget(url)] : [sqliteTarget];
}
