import fs from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, sql } from 'kysely';
import type { Database } from '../schema.js';
import { startCheckpointer } from './sqlite-checkpointer.js';
import { groupCommitDialect } from './sqlite-group-commit.js';
import type { DialectTraits } from './traits.js';

const UNAVAILABLE = /^SQLITE_(BUSY|LOCKED|CANTOPEN|IOERR|FULL|READONLY|NOTADB|CORRUPT|CLOSED)/;

export const sqliteTraits: DialectTraits = {
  kind: 'sqlite',
  sortableText: sql`text`,
  bigint: sql`integer`,
  like: (column, pattern) => sql<boolean>`${column} LIKE ${pattern} ESCAPE '\\'`,
  isUnavailable: (error) => {
    const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
    return typeof code === 'string' && UNAVAILABLE.test(code);
  },
};

const CHECKPOINT_INTERVAL_MS = 1000;

/** Opens (creating if needed) a SQLite database file, or an in-memory one for ':memory:'. */
export function openSqlite(file: string, onError: (message: string) => void = () => {}): { db: Kysely<Database>; close: () => Promise<void> } {
  const inMemory = file === ':memory:';
  if (!inMemory) fs.mkdirSync(path.dirname(file), { recursive: true });
  const database = new BetterSqlite3(file);
  database.pragma('journal_mode = WAL');
  database.pragma('synchronous = NORMAL');
  database.pragma('foreign_keys = ON');
  database.pragma('busy_timeout = 5000');
  database.pragma('cache_size = -32768');
  // Checkpoints happen in a worker (see sqlite-checkpointer.ts), not inside our commits.
  database.pragma('wal_autocheckpoint = 0');
  const checkpointer = inMemory ? undefined : startCheckpointer(file, CHECKPOINT_INTERVAL_MS, onError);
  const db = new Kysely<Database>({ dialect: groupCommitDialect(database) });
  return {
    db,
    close: async () => {
      await db.destroy();
      await checkpointer?.stop();
    },
  };
}
