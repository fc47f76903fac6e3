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
const CONNECTION_PRAGMAS = ['synchronous = NORMAL', 'foreign_keys = ON', 'cache_size = -32768'];
/** The main connection waits for a lock on the event loop: a read in WAL mode hardly ever does, but never for long. */
const MAIN_BUSY_TIMEOUT_MS = 5000;

/**
 * The writer checkpoints (PASSIVE, at commit) once the WAL holds this many
 * pages, which lets the WAL start over; the checkpointer thread has copied
 * most of them by then (sqlite-checkpointer.ts).
 */
const CHECKPOINT_PAGES = 10_000;
const CHECKPOINT_INTERVAL_MS = 200;

export interface SqliteOptions {
  /** DB_TIMEOUT_MS: the longest a write waits for a lock, and (once boundWrites() is called) for the writer's answer; default 5000. */
  readonly timeoutMs?: number;
  readonly onError?: (message: string) => void;
}

/**
 * DATA_DIR and the database files hold what is sealed and the keys' check:
 * the directory is made 0700 when we create it, the files 0600 whatever the
 * umask (set after the fact: open(2) and mkdir(2) apply the umask to the
 * mode they are given). SQLite gives -wal and -shm the database file's mode.
 */
function prepareFiles(file: string): void {
  const dir = path.dirname(file);
  const created = fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (created !== undefined) {
    for (let at = dir; at.length >= created.length; at = path.dirname(at)) fs.chmodSync(at, 0o700);
  }
  fs.closeSync(fs.openSync(file, 'a', 0o600));
  fs.chmodSync(file, 0o600);
}

function restrictCompanions(file: string): void {
  for (const companion of [`${file}-wal`, `${file}-shm`]) {
    try {
      fs.chmodSync(companion, 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
}

/**
 * Opens (creating if needed) a SQLite database file: a connection on the event
 * loop for reads, a writer thread for writes, and a checkpointer thread (see
 * sqlite-group-commit.ts, sqlite-writer.ts and sqlite-checkpointer.ts).
 */
export interface OpenedSqlite {
  readonly db: Kysely<Database>;
  readonly run: QueryRunner;
  /** Bounds the writer's answers by `timeoutMs` from now on; until then they are waited for as long as they take (migrations). */
  readonly boundWrites: () => void;
  readonly close: () => Promise<void>;
}

export function openSqlite(file: string, options: SqliteOptions = {}): OpenedSqlite {
  const onError = options.onError ?? (() => {});
  const timeoutMs = options.timeoutMs ?? 5000;
  prepareFiles(file);
  const database = new BetterSqlite3(file);
  try {
    database.pragma('journal_mode = WAL');
    for (const pragma of [...CONNECTION_PRAGMAS, `busy_timeout = ${Math.min(timeoutMs, MAIN_BUSY_TIMEOUT_MS)}`]) database.pragma(pragma);
    restrictCompanions(file);
  } catch (err) {
    database.close();
    throw err;
  }
  const writer = new SqliteWriter(file, [...CONNECTION_PRAGMAS, `busy_timeout = ${timeoutMs}`, `wal_autocheckpoint = ${CHECKPOINT_PAGES}`], { onError });
  const checkpointer = startCheckpointer(file, CHECKPOINT_INTERVAL_MS, onError, timeoutMs);
  const { dialect, run } = groupCommit(database, writer);
  const db = new Kysely<Database>({ dialect });
  return {
    db,
    run,
    boundWrites: () => writer.setTimeout(timeoutMs),
    close: async () => {
      await db.destroy();
      await checkpointer.stop();
    },
  };
}
