import { sql, type Kysely } from 'kysely';
import type { Database } from '../schema.js';
import type { ClusterRepository } from '../store.js';

/** Tells every node that holds changed hands (see ClusterRepository). */
const announce = (what: string) => sql`select pg_notify('tributary_changes:' || current_schema(), ${`cluster:${what}`})`;

const iso = (value: unknown) => (value instanceof Date ? value : new Date(String(value))).toISOString();

/** PostgreSQL: the tables of migration 0005; every time is the database's now(). */
export function clusterRepository(db: Kysely<Database>): ClusterRepository {
  return {
    async join({ id, url }, leaseSeconds) {
      return db.transaction().execute(async (tx) => {
        const stale = await sql`delete from cluster_nodes where id = ${id} and lease_until <= now()`.execute(tx);
        const { rows } = await sql<{ id: string }>`insert into cluster_nodes (id, url, started_at, lease_until, last_seen)
          values (${id}, ${url}, now(), now() + make_interval(secs => ${leaseSeconds}), now())
          on conflict (id) do nothing returning id`.execute(tx);
        if (Number(stale.numAffectedRows ?? 0) > 0) await announce('released').execute(tx);
        await announce('joined').execute(tx);
        return rows.length === 1;
      });
    },
    async renew(id, leaseSeconds) {
      const { rows } = await sql<{ id: string }>`update cluster_nodes
        set lease_until = now() + make_interval(secs => ${leaseSeconds}), last_seen = now()
        where id = ${id} and lease_until > now() returning id`.execute(db);
      return rows.length === 1;
    },
    async reapExpired() {
      return db.transaction().execute(async (tx) => {
        // Nodes reaping at once take the expired rows in one order, and skip what another is removing.
        const result = await sql`delete from cluster_nodes where id in (
          select id from cluster_nodes where lease_until <= now() order by id for update skip locked)`.execute(tx);
        const removed = Number(result.numAffectedRows ?? 0);
        if (removed > 0) await announce('released').execute(tx);
        return removed;
      });
    },
    async census(id) {
      const { rows } = await sql<{ live: string; enabled: string; held: string; mine: string; rank: string; fewest: string | null }>`select
          (select count(*) from cluster_nodes where lease_until > now()) as live,
          (select count(*) from integrations where enabled = 1) as enabled,
          (select count(*) from integration_owners) as held,
          (select count(*) from integration_owners where node_id = ${id}) as mine,
          (select count(*) from cluster_nodes where lease_until > now() and id < ${id}) as rank,
          (select min(n) from (select count(o.integration_id) as n from cluster_nodes c
            left join integration_owners o on o.node_id = c.id where c.lease_until > now() group by c.id) as per_node) as fewest`.execute(db);
      const row = rows[0]!;
      return { liveNodes: Number(row.live), enabled: Number(row.enabled), held: Number(row.held), mine: Number(row.mine), rank: Number(row.rank), fewest: Number(row.fewest ?? 0) };
    },
    async claim(id, limit, liveNodes) {
      if (limit <= 0) return [];
      // Each node takes the free ones in an order of its own, skipping rows another claim (or a write) holds:
      // nodes claiming at once never wait on each other's inserts, which could deadlock.
      const { rows } = await sql<{ integration_id: string }>`insert into integration_owners (integration_id, node_id, since)
        select free.id, ${id}, now() from (
          select i.id from integrations i
          where i.enabled = 1
            and not exists (select 1 from integration_owners o where o.integration_id = i.id)
          order by md5(i.id || ${id})
          limit ${limit}
          for no key update of i skip locked
        ) as free
        where exists (select 1 from cluster_nodes n where n.id = ${id} and n.lease_until > now())
          and (select count(*) from cluster_nodes where lease_until > now()) = ${liveNodes}
        on conflict (integration_id) do nothing
        returning integration_id`.execute(db);
      return rows.map((r) => r.integration_id);
    },
    async heldBy(id) {
      const { rows } = await sql<{ integration_id: string }>`select integration_id from integration_owners where node_id = ${id}`.execute(db);
      return rows.map((r) => r.integration_id);
    },
    async release(id, integrationIds) {
      if (integrationIds.length === 0) return;
      await db.transaction().execute(async (tx) => {
        await sql`delete from integration_owners where node_id = ${id} and integration_id = any(${integrationIds}::text[])`.execute(tx);
        await announce('released').execute(tx);
      });
    },
    async leave(id) {
      await db.transaction().execute(async (tx) => {
        await sql`delete from cluster_nodes where id = ${id}`.execute(tx);
        await announce('released').execute(tx);
      });
    },
    async holderOf(integrationId) {
      const { rows } = await sql<{ id: string; url: string }>`select n.id, n.url from integration_owners o
        join cluster_nodes n on n.id = o.node_id
        where o.integration_id = ${integrationId} and n.lease_until > now()`.execute(db);
      return rows[0];
    },
    async liveNodes() {
      const { rows } = await sql<{ id: string; url: string; started_at: unknown; last_seen: unknown; integrations: string }>`select n.id, n.url, n.started_at, n.last_seen,
          (select count(*) from integration_owners o where o.node_id = n.id) as integrations
        from cluster_nodes n where n.lease_until > now() order by n.started_at, n.id`.execute(db);
      return rows.map((r) => ({ id: r.id, url: r.url, startedAt: iso(r.started_at), lastSeen: iso(r.last_seen), integrations: Number(r.integrations) }));
    },
  };
}
