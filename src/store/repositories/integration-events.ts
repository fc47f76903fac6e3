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
      // One INSERT … SELECT per event, from its integration's row: an event of an integration
      // deleted meanwhile inserts nothing instead of failing. No explicit transaction, which
      // would hold every other write back while it lasts (on SQLite, statements sent together
      // share a group commit anyway).
      await Promise.all(
        rows.map((r) =>
          db
            .insertInto('integration_events')
            .columns(['id', 'integration_id', 'application_id', 'ts', 'type', 'message'])
            .expression(
              db
                .selectFrom('integrations')
                .select([
                  sql<string>`${r.id}`.as('id'),
                  'integrations.id as integration_id',
                  'integrations.application_id',
                  sql<number>`cast(${r.ts} as ${traits.bigint})`.as('ts'),
                  sql<string>`${r.type}`.as('type'),
                  sql<string | null>`cast(${r.message} as text)`.as('message'),
                ])
                .where('integrations.id', '=', r.integrationId)
                .where('integrations.application_id', '=', r.applicationId),
            )
            .execute(),
        ),
      );
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
