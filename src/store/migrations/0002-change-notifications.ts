import { sql, type Kysely, type Migration } from 'kysely';
import type { DialectTraits } from '../dialects/traits.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations must not depend on the current table types
type AnyDb = Kysely<any>;

const TABLES = ['integrations', 'api_tokens', 'applications'] as const;

/**
 * PostgreSQL only: every change to a row that nodes cache is announced on the
 * channel `tributary_changes:<schema>` as `<table>:<id>`, so every node (and
 * every cache in it) hears about writes made by any other. SQLite has a
 * single writer and needs none of this.
 */
export function changeNotifications(traits: DialectTraits): Migration {
  return {
    async up(db: AnyDb) {
      if (traits.kind !== 'postgres') return;
      await sql`
        create or replace function tributary_notify_change() returns trigger language plpgsql as $$
        begin
          perform pg_notify('tributary_changes:' || tg_table_schema, tg_table_name || ':' || coalesce(new.id, old.id));
          return null;
        end $$`.execute(db);
      for (const table of TABLES) {
        await sql`create trigger ${sql.id(`${table}_notify_change`)} after insert or update or delete on ${sql.table(table)}
          for each row execute function tributary_notify_change()`.execute(db);
      }
    },
    async down(db: AnyDb) {
      if (traits.kind !== 'postgres') return;
      for (const table of TABLES) await sql`drop trigger if exists ${sql.id(`${table}_notify_change`)} on ${sql.table(table)}`.execute(db);
      await sql`drop function if exists tributary_notify_change()`.execute(db);
    },
  };
}
