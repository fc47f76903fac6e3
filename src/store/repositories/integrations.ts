import { sql, type Kysely, type Selectable } from 'kysely';
import { foldCase } from '../../lib/glob.js';
import { kyselyRunner, type DialectTraits, type QueryRunner } from '../dialects/traits.js';
import { PreparedQueries } from '../prepared.js';
import { applyFilter, applyOrderAndPage, asciiFolded, folded, type ListColumns } from '../list.js';
import type { Database, IntegrationsTable } from '../schema.js';
import type { IntegrationRepository, IntegrationRow, IntegrationSortField, IntegrationStatus } from '../store.js';

const columns: ListColumns<IntegrationSortField> = {
  sort: { name: 'name', id: 'id', creationDate: 'creation_date', integrationType: 'integration_type', lastUpdated: 'last_updated' },
  filter: { name: folded('name_fold'), integrationType: asciiFolded('integration_type') },
};

const STATUS_BATCH = 500;

function toRow(r: Selectable<IntegrationsTable>): IntegrationRow {
  return {
    id: r.id,
    applicationId: r.application_id,
    name: r.name,
    integrationType: r.integration_type,
    enabled: Number(r.enabled) === 1,
    topics: JSON.parse(r.topics) as string[],
    credentialName: r.credential_name,
    config: JSON.parse(r.config) as Record<string, unknown>,
    secrets: r.secrets,
    status: JSON.parse(r.status) as IntegrationStatus,
    creationDate: r.creation_date,
    lastUpdated: r.last_updated,
  };
}

/** The columns every write sets from a row, in the order of writtenValues(). */
const WRITTEN = ['name', 'name_fold', 'integration_type', 'enabled', 'topics', 'credential_name', 'config', 'secrets', 'last_updated'] as const;

function writtenValues(row: IntegrationRow): unknown[] {
  return [row.name, foldCase(row.name), row.integrationType, row.enabled ? 1 : 0, JSON.stringify(row.topics), row.credentialName, JSON.stringify(row.config), row.secrets, row.lastUpdated];
}

/** Placeholders from `offset` on, named by WRITTEN, for building a prepared statement. */
function written(placeholders: readonly never[], offset: number) {
  return Object.fromEntries(WRITTEN.map((column, i) => [column, placeholders[offset + i]])) as Record<(typeof WRITTEN)[number], never>;
}

export function integrationRepository(db: Kysely<Database>, traits: DialectTraits, run: QueryRunner = kyselyRunner(db)): IntegrationRepository {
  const prepared = new PreparedQueries(run);
  return {
    async insert(row) {
      await prepared.run('integrations.insert', [row.id, row.applicationId, row.creationDate, JSON.stringify(row.status), ...writtenValues(row)], (p) =>
        db.insertInto('integrations').values({ id: p[0]!, application_id: p[1]!, creation_date: p[2]!, status: p[3]!, ...written(p, 4) }),
      );
    },
    async findById(applicationId, id) {
      const { rows } = await prepared.run('integrations.findById', [id, applicationId], ([pid, papp]) =>
        db.selectFrom('integrations').selectAll().where('id', '=', pid!).where('application_id', '=', papp!),
      );
      return rows[0] && toRow(rows[0]);
    },
    async list(applicationId, query) {
      const base = applyFilter(db.selectFrom('integrations').where('application_id', '=', applicationId), query, columns, traits);
      const [total, rows] = await Promise.all([
        base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
        applyOrderAndPage(base.selectAll(), query, columns).execute(),
      ]);
      return { items: rows.map(toRow), totalCount: Number(total.n) };
    },
    async listEnabled(types, afterId, limit) {
      if (types.length === 0) return [];
      let qb = db.selectFrom('integrations').selectAll().where('enabled', '=', 1).where('integration_type', 'in', types);
      if (afterId !== null) qb = qb.where('id', '>', afterId);
      const rows = await qb.orderBy('id').limit(limit).execute();
      return rows.map(toRow);
    },
    async listOfType(type, afterId, limit) {
      let qb = db.selectFrom('integrations').selectAll().where('integration_type', '=', type);
      if (afterId !== null) qb = qb.where('id', '>', afterId);
      return (await qb.orderBy('id').limit(limit).execute()).map(toRow);
    },
    async update(row) {
      const id = WRITTEN.length;
      const r = await prepared.run('integrations.update', [...writtenValues(row), row.id, row.applicationId], (p) =>
        db.updateTable('integrations').set(written(p, 0)).where('id', '=', p[id]!).where('application_id', '=', p[id + 1]!),
      );
      return Number(r.numAffectedRows ?? 0) > 0;
    },
    async delete(applicationId, id) {
      const r = await db.deleteFrom('integrations').where('id', '=', id).where('application_id', '=', applicationId).executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    },
    async findByIds(ids) {
      if (ids.length === 0) return [];
      return (await db.selectFrom('integrations').selectAll().where('id', 'in', [...ids]).execute()).map(toRow);
    },
    async writeStatuses(statuses, holder) {
      const entries = [...statuses];
      const chunks: (typeof entries)[] = [];
      for (let i = 0; i < entries.length; i += STATUS_BATCH) chunks.push(entries.slice(i, i + STATUS_BATCH));
      // One statement per chunk: UPDATE … SET status = CASE id WHEN … END WHERE id IN (…). Each is
      // atomic; no explicit transaction, which would hold every other write back while it lasts
      // (on SQLite, chunks sent together share a group commit anyway).
      await Promise.all(
        chunks.map((chunk) => {
          const cases = sql.join(chunk.map(([id, status]) => sql`when ${id} then ${JSON.stringify(status)}`), sql` `);
          let update = db
            .updateTable('integrations')
            .set({ status: sql<string>`case id ${cases} else status end` })
            .where('id', 'in', chunk.map(([id]) => id));
          if (holder !== undefined) {
            update = update.where(
              sql<boolean>`exists (select 1 from integration_owners o join cluster_nodes n on n.id = o.node_id
                where o.integration_id = integrations.id and o.node_id = ${holder} and n.lease_until > now())`,
            );
          }
          return update.execute();
        }),
      );
    },
  };
}
