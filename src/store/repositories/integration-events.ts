import { sql, type Kysely, type Selectable } from 'kysely';
import type { DialectTraits } from '../dialects/traits.js';
import { applyFilter, applyOrderAndPage, asciiFolded, type ListColumns } from '../list.js';
import type { Database, IntegrationEventsTable } from '../schema.js';
import type { IntegrationEventRepository, IntegrationEventRow, IntegrationEventSortField } from '../store.js';

const columns: ListColumns<IntegrationEventSortField> = {
  sort: { ts: 'ts', type: 'type', id: 'id' },
  filter: { type: asciiFolded('type') },
};

function toRow(r: Selectable<IntegrationEventsTable>): IntegrationEventRow {
  return { id: r.id, integrationId: r.integration_id, applicationId: r.application_id, ts: Number(r.ts), type: r.type, message: r.message };
}

export function integrationEventRepository(db: Kysely<Database>, traits: DialectTraits): IntegrationEventRepository {
  return {
    async insertMany(rows) {
      if (rows.length === 0) return;
      const ids = [...new Set(rows.map((r) => r.integrationId))];
      await db.transaction().execute(async (trx) => {
        // Events of an integration deleted meanwhile are dropped, not an error.
        const alive = new Set((await trx.selectFrom('integrations').select('id').where('id', 'in', ids).execute()).map((r) => r.id));
        const values = rows
          .filter((r) => alive.has(r.integrationId))
          .map((r) => ({ id: r.id, integration_id: r.integrationId, application_id: r.applicationId, ts: r.ts, type: r.type, message: r.message }));
        for (let i = 0; i < values.length; i += 500) await trx.insertInto('integration_events').values(values.slice(i, i + 500)).execute();
      });
    },
    async list(applicationId, integrationId, query) {
      const base = applyFilter(
        db.selectFrom('integration_events').where('integration_id', '=', integrationId).where('application_id', '=', applicationId),
        query,
        columns,
        traits,
      );
      const [total, rows] = await Promise.all([
        base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
        applyOrderAndPage(base.selectAll(), query, columns).execute(),
      ]);
      return { items: rows.map(toRow), totalCount: Number(total.n) };
    },
    async trim(integrationIds, keep) {
      // One statement per batch: rank each integration's events newest first, delete past `keep`.
      for (let i = 0; i < integrationIds.length; i += 500) {
        const ids = integrationIds.slice(i, i + 500);
        const ranked = db
          .selectFrom('integration_events')
          .select(['id', sql<number>`row_number() over (partition by integration_id order by ts desc, id desc)`.as('rank')])
          .where('integration_id', 'in', ids)
          .as('ranked');
        const surplus = db.selectFrom(ranked).select('ranked.id').where('ranked.rank', '>', keep);
        await db.deleteFrom('integration_events').where('id', 'in', surplus).execute();
      }
    },
  };
}
