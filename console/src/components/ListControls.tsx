import { useState } from 'preact/hooks';

/** The collection parameters every list of the API takes. */
export interface ListQuery {
  sortField: string;
  sortDirection: 'asc' | 'desc';
  page: number;
  perPage: number;
  filterField: string;
  filter: string;
}

export function toQuery(q: ListQuery): Record<string, string | number | undefined> {
  return { sortField: q.sortField, sortDirection: q.sortDirection, page: q.page, perPage: q.perPage, ...(q.filter ? { filterField: q.filterField, filter: q.filter } : {}) };
}

/** A column header that sorts by its field; aria-sort says how the table is sorted. */
export function SortHeader({ field, label, query, onChange }: { field: string; label: string; query: ListQuery; onChange: (q: ListQuery) => void }) {
  const active = query.sortField === field;
  const next = active && query.sortDirection === 'asc' ? 'desc' : 'asc';
  return (
    <th scope="col" aria-sort={active ? (query.sortDirection === 'asc' ? 'ascending' : 'descending') : undefined}>
      <button type="button" class="link" onClick={() => onChange({ ...query, sortField: field, sortDirection: next, page: 0 })}>
        {label}
        <span aria-hidden="true">{active ? (query.sortDirection === 'asc' ? ' ▲' : ' ▼') : ''}</span>
      </button>
    </th>
  );
}

export function FilterForm({ fields, query, onChange, label }: { fields: readonly [string, string][]; query: ListQuery; onChange: (q: ListQuery) => void; label: string }) {
  const [field, setField] = useState(query.filterField);
  const [text, setText] = useState(query.filter);
  return (
    <form
      class="inline"
      role="search"
      aria-label={label}
      onSubmit={(e) => {
        e.preventDefault();
        onChange({ ...query, filterField: field, filter: text, page: 0 });
      }}
    >
      <label for="filter-field">Filter by</label>
      <select id="filter-field" value={field} onChange={(e) => setField(e.currentTarget.value)}>
        {fields.map(([value, name]) => (
          <option key={value} value={value}>
            {name}
          </option>
        ))}
      </select>
      <label for="filter-text" class="visually-hidden">
        Filter
      </label>
      <input id="filter-text" type="search" placeholder="e.g. sensor*" value={text} onInput={(e) => setText(e.currentTarget.value)} />
      <button type="submit">Filter</button>
    </form>
  );
}

export function Pager({ query, totalCount, onChange, noun }: { query: ListQuery; totalCount: number; onChange: (q: ListQuery) => void; noun: string }) {
  const pages = Math.max(1, Math.ceil(totalCount / query.perPage));
  return (
    <nav class="pager" aria-label="Pages">
      <button type="button" disabled={query.page === 0} onClick={() => onChange({ ...query, page: query.page - 1 })}>
        Previous
      </button>
      <span>
        Page {query.page + 1} of {pages} ({totalCount} {noun})
      </span>
      <button type="button" disabled={query.page + 1 >= pages} onClick={() => onChange({ ...query, page: query.page + 1 })}>
        Next
      </button>
      <label for="per-page">Per page</label>
      <select id="per-page" value={String(query.perPage)} onChange={(e) => onChange({ ...query, perPage: Number(e.currentTarget.value), page: 0 })}>
        {[10, 25, 50, 100, 1000].map((n) => (
          <option key={n} value={String(n)}>
            {n}
          </option>
        ))}
      </select>
    </nav>
  );
}
