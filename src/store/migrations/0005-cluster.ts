import { sql, type Kysely, type Migration } from 'kysely';
import type { DialectTraits } from '../dialects/traits.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations must not depend on the current table types
type AnyDb = Kysely<any>;

/**
 * PostgreSQL only (SPEC §8; a SQLite file has one node): the cluster's
 * members and which of them holds each integration, with leases on the
 * database's clock (see src/runtime/cluster/README.md).
 *
 * The integrations trigger of 0002 is replaced by one that tells a status
 * write apart: `integration_status:<id>:<applicationId>` when only `status`
 * changed (the holder writes it often; other nodes only forward it to their
 * status streams), `integrations:<id>` for everything else (a node holding the
 * integration reloads it).
 */
export function cluster(traits: DialectTraits): Migration {
  return {
    async up(db: AnyDb) {
      if (traits.kind !== 'postgres') return;
      await sql`create table cluster_nodes (
        id text primary key,
        url text not null,
        started_at timestamptz not null,
        lease_until timestamptz not null,
        last_seen timestamptz not null
      )`.execute(db);
      await sql`create table integration_owners (
        integration_id varchar(24) primary key references integrations(id) on delete cascade,
        node_id text not null references cluster_nodes(id) on delete cascade,
        since timestamptz not null
      )`.execute(db);
      await sql`create index integration_owners_node on integration_owners (node_id)`.execute(db);
      await sql`create index integrations_enabled on integrations (enabled, id)`.execute(db);
      await sql`
        create or replace function tributary_notify_integration() returns trigger language plpgsql as $$
        begin
          if tg_op = 'UPDATE' and new.status is distinct from old.status
            and (new.name, new.integration_type, new.enabled, new.topics, new.credential_name, new.config, new.secrets, new.last_updated, new.application_id)
              is not distinct from (old.name, old.integration_type, old.enabled, old.topics, old.credential_name, old.config, old.secrets, old.last_updated, old.application_id) then
            perform pg_notify('tributary_changes:' || tg_table_schema, 'integration_status:' || new.id || ':' || new.application_id);
          else
            perform pg_notify('tributary_changes:' || tg_table_schema, 'integrations:' || coalesce(new.id, old.id));
          end if;
          return null;
        end $$`.execute(db);
      await sql`drop trigger if exists integrations_notify_change on integrations`.execute(db);
      await sql`create trigger integrations_notify_change after insert or update or delete on integrations
        for each row execute function tributary_notify_integration()`.execute(db);
    },
    async down(db: AnyDb) {
      if (traits.kind !== 'postgres') return;
      await sql`drop trigger if exists integrations_notify_change on integrations`.execute(db);
      await sql`create trigger integrations_notify_change after insert or update or delete on integrations
        for each row execute function tributary_notify_change()`.execute(db);
      await sql`drop function if exists tributary_notify_integration()`.execute(db);
      await sql`drop index if exists integrations_enabled`.execute(db);
      await sql`drop table if exists integration_owners`.execute(db);
      await sql`drop table if exists cluster_nodes`.execute(db);
    },
  };
}
