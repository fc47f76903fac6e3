import { sql, type Expression, type SelectQueryBuilder } from 'kysely';
import { globToLike } from '../lib/glob.js';
import type { DialectTraits } from './dialects/traits.js';
import type { ListQuery } from './store.js';

/**
 * The shared shape of every collection query: an optional glob filter on a
 * case-folded column, an order on the sort column with ties broken by id in
 * the same direction (so pages never overlap or skip), and a page window.
 */
export interface ListColumns<Field extends string> {
  readonly sort: Readonly<Record<Field, string>>;
  /** Filterable fields and the case-folded expression each one is matched against. */
  readonly filter: Readonly<Partial<Record<Field, Expression<string>>>>;
}

export function applyFilter<DB, TB extends keyof DB, O, F extends string>(
  qb: SelectQueryBuilder<DB, TB, O>,
  query: ListQuery<F>,
  columns: ListColumns<F>,
  traits: DialectTraits,
): SelectQueryBuilder<DB, TB, O> {
  if (query.filterField === undefined || query.filter === undefined || query.filter === '') return qb;
  const folded = columns.filter[query.filterField];
  if (folded === undefined) return qb;
  return qb.where(traits.like(folded, globToLike(query.filter)));
}

export function applyOrderAndPage<DB, TB extends keyof DB, O, F extends string>(
  qb: SelectQueryBuilder<DB, TB, O>,
  query: ListQuery<F>,
  columns: ListColumns<F>,
): SelectQueryBuilder<DB, TB, O> {
  const column = columns.sort[query.sortField];
  const direction = query.sortDirection === 'desc' ? sql`desc` : sql`asc`;
  let ordered = qb.orderBy(sql`${sql.ref(column)} ${direction}`);
  if (column !== 'id') ordered = ordered.orderBy(sql`${sql.ref('id')} ${direction}`);
  return ordered.limit(query.perPage).offset(query.page * query.perPage);
}

/** A column that already holds case-folded text (see foldCase). */
export const folded = (column: string): Expression<string> => sql.ref<string>(column);
/** An ASCII-only column (enum values), folded in SQL. */
export const asciiFolded = (column: string): Expression<string> => sql<string>`lower(${sql.ref(column)})`;
