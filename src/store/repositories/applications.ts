import type { Kysely, Selectable } from 'kysely';
import { foldCase } from '../../lib/glob.js';
import type { DialectTraits } from '../dialects/traits.js';
import { applyFilter, applyOrderAndPage, folded, type ListColumns } from '../list.js';
import type { ApplicationsTable, Database } from '../schema.js';
import type { ApplicationRepository, ApplicationRow, ApplicationSortField } from '../store.js';

const columns: ListColumns<ApplicationSortField> = {
  sort: { name: 'name', id: 'id', creationDate: 'creation_date', lastUpdated: 'last_updated', ownerId: 'owner_id' },
  filter: { name: folded('name_fold') },
};

function toRow(r: Selectable<ApplicationsTable>): ApplicationRow {
  return {
    id: r.id,
    ownerId: r.owner_id,
    name: r.name,
    description: r.description,
    attributes: JSON.parse(r.attributes) as Record<string, unknown>,
    creationDate: r.creation_date,
    lastUpdated: r.last_updated,
  };
}

function toColumns(row: ApplicationRow) {
  return {
    owner_id: row.ownerId,
    name: row.name,
    name_fold: foldCase(row.name),
    description: row.description,
    attributes: JSON.stringify(row.attributes),
    last_updated: row.lastUpdated,
  };
}

export function applicationRepository(db: Kysely<Database>, traits: DialectTraits): ApplicationRepository {
  return {
    async insert(row) {
      await db.insertInto('applications').values({ id: row.id, creation_date: row.creationDate, ...toColumns(row) }).execute();
    },
    async findById(id) {
      const r = await db.selectFrom('applications').selectAll().where('id', '=', id).executeTakeFirst();
      return r && toRow(r);
    },
    async list(ownerId, query) {
      const base = applyFilter(db.selectFrom('applications').where('owner_id', '=', ownerId), query, columns, traits);
      const [total, rows] = await Promise.all([
        base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
        applyOrderAndPage(base.selectAll(), query, columns).execute(),
      ]);
      return { items: rows.map(toRow), totalCount: Number(total.n) };
    },
    async update(row) {
      const r = await db.updateTable('applications').set(toColumns(row)).where('id', '=', row.id).executeTakeFirst();
      return Number(r.numUpdatedRows) > 0;
    },
    async delete(id) {
      return db.transaction().execute(async (trx) => {
        const integrations = await trx.selectFrom('integrations').select('id').where('application_id', '=', id).execute();
        // Events, integrations and tokens go with it (ON DELETE CASCADE).
        const r = await trx.deleteFrom('applications').where('id', '=', id).executeTakeFirst();
        return Number(r.numDeletedRows) > 0 ? integrations.map((i) => i.id) : undefined;
      });
    },
    async countChildren(ids) {
      const counts = new Map(ids.map((id) => [id, { integrationCount: 0, apiTokenCount: 0 }]));
      if (ids.length === 0) return counts;
      const [integrations, tokens] = await Promise.all([
        db.selectFrom('integrations').select(['application_id', (eb) => eb.fn.countAll<number>().as('n')]).where('application_id', 'in', ids).groupBy('application_id').execute(),
        db.selectFrom('api_tokens').select(['application_id', (eb) => eb.fn.countAll<number>().as('n')]).where('application_id', 'in', ids).groupBy('application_id').execute(),
      ]);
      for (const r of integrations) counts.get(r.application_id)!.integrationCount = Number(r.n);
      for (const r of tokens) counts.get(r.application_id)!.apiTokenCount = Number(r.n);
      return counts;
    },
  };
}
