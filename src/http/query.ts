import { ID_PATTERN } from '../lib/ids.js';

/** Query parameters the official client sends on every request; accepted and ignored (but `_links`). */
export const commonQueryProperties = {
  _actions: { type: 'boolean', default: false },
  _links: { type: 'boolean', default: true },
  _embedded: { type: 'boolean', default: true },
  losantdomain: { type: 'string', maxLength: 1024 },
} as const;

export const commonQuery = { type: 'object', properties: commonQueryProperties } as const;

export interface CommonQuery {
  _links: boolean;
}

export function idParam(name: string) {
  return { type: 'string', pattern: ID_PATTERN, 'x-message': 'must be a 24-character lowercase hex id', description: `ID of the ${name.replace(/Id$/, '')}` } as const;
}

export function paramsSchema<const Names extends readonly string[]>(...names: Names) {
  return {
    type: 'object',
    properties: Object.fromEntries(names.map((name) => [name, idParam(name)])),
    required: names,
  } as const;
}

export interface CollectionQuery<Field extends string> {
  sortField: Field;
  sortDirection: string;
  page: number;
  perPage: number;
  filterField?: Field | '';
  filter?: string;
  _links: boolean;
}

export const MAX_PER_PAGE = 1000;

/** Losant's collection parameters: sort, page (from 0), perPage (1–1000), glob filter. */
export function collectionQuery(sortFields: readonly string[], defaultSort: string, filterFields: readonly string[], defaultDirection: 'asc' | 'desc' = 'asc') {
  return {
    type: 'object',
    properties: {
      ...commonQueryProperties,
      sortField: { type: 'string', enum: sortFields, default: defaultSort, description: 'Field to sort the results by' },
      sortDirection: { type: 'string', enum: ['asc', 'desc', 'ASC', 'DESC', ''], default: defaultDirection, description: 'Direction to sort the results by' },
      page: { type: 'integer', minimum: 0, maximum: 1_000_000_000, default: 0, description: 'Which page of results to return, from 0' },
      perPage: { type: 'integer', minimum: 1, maximum: MAX_PER_PAGE, default: MAX_PER_PAGE, description: 'How many items to return per page' },
      filterField: { type: 'string', enum: [...filterFields, ''], description: 'Field to filter the results by; blank means no filtering' },
      filter: { type: 'string', maxLength: 1024, pattern: '^[^\\u0000]*$', 'x-message': 'must not contain NUL characters', description: 'Glob filter (* matches any run of characters) applied to filterField, case-insensitive' },
    },
  } as const;
}

/** Normalizes a validated collection query for the store. */
export function toListQuery<Field extends string>(query: CollectionQuery<Field>, defaultDirection: 'asc' | 'desc' = 'asc') {
  const direction = query.sortDirection.toLowerCase();
  return {
    sortField: query.sortField,
    sortDirection: direction === 'desc' ? ('desc' as const) : direction === 'asc' ? ('asc' as const) : defaultDirection,
    page: query.page,
    perPage: query.perPage,
    filterField: query.filterField === '' ? undefined : query.filterField,
    filter: query.filterField ? query.filter : undefined,
  };
}

/** The parameters a collection response echoes back. */
export function echoQuery<Field extends string>(list: ReturnType<typeof toListQuery<Field>>) {
  return {
    perPage: list.perPage,
    page: list.page,
    sortField: list.sortField,
    sortDirection: list.sortDirection,
    ...(list.filterField !== undefined && list.filter !== undefined ? { filterField: list.filterField, filter: list.filter } : {}),
  };
}
