import type { Kysely, Selectable } from 'kysely';
import { foldCase } from '../../lib/glob.js';
import type { DialectTraits } from '../dialects/traits.js';
import { applyFilter, applyOrderAndPage, asciiFolded, folded, type ListColumns } from '../list.js';
import type { ApiTokensTable, Database } from '../schema.js';
import type { TokenRepository, TokenRow, TokenSortField, TokenStatus } from '../store.js';

const columns: ListColumns<TokenSortField> = {
  sort: { name: 'name', status: 'status', id: 'id', creationDate: 'creation_date', lastUpdated: 'last_updated', expirationDate: 'expiration_date' },
  filter: { name: folded('name_fold'), status: asciiFolded('status') },
};

function toRow(r: Selectable<ApiTokensTable>): TokenRow {
  return {
    id: r.id,
    applicationId: r.application_id,
    name: r.name,
    description: r.description,
    scope: JSON.parse(r.scope) as string[],
    status: r.status as TokenStatus,
    expirationDate: r.expiration_date,
    creatorId: r.creator_id,
    creatorType: r.creator_type as TokenRow['creatorType'],
    creatorName: r.creator_name,
    creationDate: r.creation_date,
    lastUpdated: r.last_updated,
  };
}

function toColumns(row: TokenRow) {
  return {
    name: row.name,
    name_fold: foldCase(row.name),
    description: row.description,
    scope: JSON.stringify(row.scope),
    status: row.status,
    expiration_date: row.expirationDate,
    last_updated: row.lastUpdated,
  };
}

export function tokenRepository(db: Kysely<Database>, traits: DialectTraits): TokenRepository {
  return {
    async insert(row) {
      await db
        .insertInto('api_tokens')
        .values({
          id: row.id,
          application_id: row.applicationId,
          creator_id: row.creatorId,
          creator_type: row.creatorType,
          creator_name: row.creatorName,
          creation_date: row.creationDate,
          ...toColumns(row),
        })
        .execute();
    },
    async findById(id) {
      const r = await db.selectFrom('api_tokens').selectAll().where('id', '=', id).executeTakeFirst();
      return r && toRow(r);
    },
    async list(applicationId, query) {
      const base = applyFilter(db.selectFrom('api_tokens').where('application_id', '=', applicationId), query, columns, traits);
      const [total, rows] = await Promise.all([
        base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
        applyOrderAndPage(base.selectAll(), query, columns).execute(),
      ]);
      return { items: rows.map(toRow), totalCount: Number(total.n) };
    },
    async update(row) {
      const r = await db.updateTable('api_tokens').set(toColumns(row)).where('id', '=', row.id).where('application_id', '=', row.applicationId).executeTakeFirst();
      return Number(r.numUpdatedRows) > 0;
    },
    async delete(applicationId, id) {
      const r = await db.deleteFrom('api_tokens').where('id', '=', id).where('application_id', '=', applicationId).executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    },
  };
}
