import fs from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, sql } from 'kysely';
import type { Database } from '../schema.js';
import { startCheckpointer } from './sqlite-checkpointer.js';
import { groupCommit } from './sqlite-group-commit.js';
import { SqliteWriter } from './sqlite-writer.js';
import type { DialectTraits, QueryRunner } from './traits.js';

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

/** Both connections: crash-safe commits without a flush each (WAL + NORMAL), foreign keys enforced, a wait instead of SQLITE_BUSY. */
const CONNECTION_PRAGMAS = ['synchronous = NORMAL', 'foreign_keys = ON', 'busy_timeout = 5000', 'cache_size = -32768'];

/**
 * The writer checkpoints (PASSIVE, at commit) once the WAL holds this many
 * pages, which lets the WAL start over; the checkpointer thread has copied
 * most of them by then (sqlite-checkpointer.ts).
 */
const CHECKPOINT_PAGES = 10_000;
const CHECKPOINT_INTERVAL_MS = 200;

/**
 * Opens (creating if needed) a SQLite database file: a connection on the event
 * loop for reads, a writer thread for writes, and a checkpointer thread (see
 * sqlite-group-commit.ts, sqlite-writer.ts and sqlite-checkpointer.ts).
 */
export interface SqliteOptions {
  /** DB_TIMEOUT_MS: the longest a write may wait for the writer's answer. */
  readonly timeoutMs?: number;
  readonly onError?: (message: string) => void;
}

export function openSqlite(file: string, options: SqliteOptions = {}): { db: Kysely<Database>; run: QueryRunner; close: () => Promise<void> } {
  const onError = options.onError ?? (() => {});
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const database = new BetterSqlite3(file);
  try {
    database.pragma('journal_mode = WAL');
    for (const pragma of CONNECTION_PRAGMAS) database.pragma(pragma);
  } catch (err) {
    database.close();
    throw err;
  }
  const writer = new SqliteWriter(file, [...CONNECTION_PRAGMAS, `wal_autocheckpoint = ${CHECKPOINT_PAGES}`], onError);
  const checkpointer = startCheckpointer(file, CHECKPOINT_INTERVAL_MS, onError);
  const { dialect, run } = groupCommit(database, writer);
  const db = new Kysely<Database>({ dialect });
  return {
    db,
    run,
    close: async () => {
      await db.destroy();
      await checkpointer.stop();
    },
  };
}
