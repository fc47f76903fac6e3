import { sql, type Kysely, type Selectable } from 'kysely';
import { foldCase } from '../../lib/glob.js';
import type { DialectTraits } from '../dialects/traits.js';
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

function toColumns(row: IntegrationRow) {
  return {
    name: row.name,
    name_fold: foldCase(row.name),
    integration_type: row.integrationType,
    enabled: row.enabled ? 1 : 0,
    topics: JSON.stringify(row.topics),
    credential_name: row.credentialName,
    config: JSON.stringify(row.config),
    secrets: row.secrets,
    last_updated: row.lastUpdated,
  };
}

export function integrationRepository(db: Kysely<Database>, traits: DialectTraits): IntegrationRepository {
  const prepared = new PreparedQueries(db as Kysely<unknown>);
  return {
    async insert(row) {
      const values = { id: row.id, application_id: row.applicationId, creation_date: row.creationDate, status: JSON.stringify(row.status), ...toColumns(row) };
      const names = Object.keys(values) as (keyof typeof values)[];
      await prepared.run('integrations.insert', names.map((n) => values[n]), (p) =>
        db.insertInto('integrations').values(Object.fromEntries(names.map((n, i) => [n, p[i]])) as unknown as typeof values),
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
    async update(row) {
      const values = toColumns(row);
      const names = Object.keys(values) as (keyof typeof values)[];
      const r = await prepared.run('integrations.update', [...names.map((n) => values[n]), row.id, row.applicationId], (p) =>
        db
          .updateTable('integrations')
          .set(Object.fromEntries(names.map((n, i) => [n, p[i]])) as unknown as typeof values)
          .where('id', '=', p[names.length]!)
          .where('application_id', '=', p[names.length + 1]!),
      );
      return Number(r.numAffectedRows ?? 0) > 0;
    },
    async delete(applicationId, id) {
      const r = await db.deleteFrom('integrations').where('id', '=', id).where('application_id', '=', applicationId).executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    },
    async writeStatuses(statuses) {
      const entries = [...statuses];
      if (entries.length === 0) return;
      await db.transaction().execute(async (trx) => {
        for (let i = 0; i < entries.length; i += STATUS_BATCH) {
          const chunk = entries.slice(i, i + STATUS_BATCH);
          // One statement per chunk: UPDATE … SET status = CASE id WHEN … END WHERE id IN (…)
          const cases = sql.join(chunk.map(([id, status]) => sql`when ${id} then ${JSON.stringify(status)}`), sql` `);
          await trx
            .updateTable('integrations')
            .set({ status: sql<string>`case id ${cases} else status end` })
            .where('id', 'in', chunk.map(([id]) => id))
            .execute();
        }
      });
    },
  };
}
