import fs from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { SqliteQueryCompiler, type CompiledQuery, type Kysely, type KyselyPlugin } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/lib/ids.js';
import { openSqlite, sqliteTraits } from '../../src/store/dialects/sqlite.js';
import { migrateToLatest } from '../../src/store/migrations/index.js';
import { applicationRepository } from '../../src/store/repositories/applications.js';
import { integrationEventRepository } from '../../src/store/repositories/integration-events.js';
import { integrationRepository } from '../../src/store/repositories/integrations.js';
import { tokenRepository } from '../../src/store/repositories/tokens.js';
import type { Database } from '../../src/store/schema.js';
import type { ApplicationSortField, IntegrationEventSortField, IntegrationSortField, ListQuery, TokenSortField } from '../../src/store/store.js';
import { tempDir } from '../support/stores.js';

/** Every field a list can be sorted by: a Record, so that a new sort field does not compile until it is listed here. */
const sorts = {
  integrations: { name: true, id: true, creationDate: true, integrationType: true, lastUpdated: true } satisfies Record<IntegrationSortField, true>,
  tokens: { name: true, status: true, id: true, creationDate: true, lastUpdated: true, expirationDate: true } satisfies Record<TokenSortField, true>,
  applications: { name: true, id: true, creationDate: true, lastUpdated: true, ownerId: true } satisfies Record<ApplicationSortField, true>,
  events: { ts: true, type: true, id: true } satisfies Record<IntegrationEventSortField, true>,
};
const filters = {
  integrations: ['name', 'integrationType'],
  tokens: ['name', 'status'],
  applications: ['name'],
  events: ['type'],
} as const;

type Lists = { [K in keyof typeof sorts]: (query: ListQuery<keyof (typeof sorts)[K] & string>) => Promise<unknown> };

/** Each query as the repositories send it, compiled as the dialect compiles it. */
function recorder(captured: CompiledQuery[]): KyselyPlugin {
  const compiler = new SqliteQueryCompiler();
  return {
    transformQuery: ({ node, queryId }) => {
      captured.push(compiler.compileQuery(node, queryId));
      return node;
    },
    transformResult: async ({ result }) => result,
  };
}

/**
 * Every collection query the repositories build (the page and its count, for
 * every sort field, both directions, with and without a filter) is served by
 * an index: found by searching it on the owner, never by scanning the table,
 * and ordered by it, never by a temporary sort. SQLite's EXPLAIN QUERY PLAN of
 * the very SQL they send.
 */
describe('list queries use their indexes (SQLite query plans)', () => {
  const dir = tempDir();
  const file = path.join(dir, 'plans.db');
  let sqlite: ReturnType<typeof openSqlite>;
  let explainer: BetterSqlite3.Database;
  let lists: Lists;
  const captured: CompiledQuery[] = [];

  beforeAll(async () => {
    sqlite = openSqlite(file);
    await migrateToLatest(sqlite.db as Kysely<unknown>, sqliteTraits);
    const db: Kysely<Database> = sqlite.db.withPlugin(recorder(captured));
    const ownerId = newId();
    const applicationId = newId();
    const integrationId = newId();
    const integrations = integrationRepository(db, sqliteTraits);
    const tokens = tokenRepository(db, sqliteTraits);
    const applications = applicationRepository(db, sqliteTraits);
    const events = integrationEventRepository(db, sqliteTraits);
    lists = {
      integrations: (query) => integrations.list(applicationId, query),
      tokens: (query) => tokens.list(applicationId, query),
      applications: (query) => applications.list(ownerId, query),
      events: (query) => events.list(applicationId, integrationId, query),
    };
    explainer = new BetterSqlite3(file, { readonly: true });
  });
  afterAll(async () => {
    explainer?.close();
    await sqlite?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function plan(query: CompiledQuery): string {
    const rows = explainer.prepare(`explain query plan ${query.sql}`).all(...query.parameters) as { detail: string }[];
    return rows.map((r) => r.detail).join(' | ');
  }

  it.each(Object.keys(sorts) as (keyof typeof sorts)[])('%s', async (name) => {
    const list = lists[name] as (query: ListQuery<string>) => Promise<unknown>;
    const queries: ListQuery<string>[] = [];
    for (const sortField of Object.keys(sorts[name])) {
      for (const sortDirection of ['asc', 'desc'] as const) {
        queries.push({ sortField, sortDirection, page: 1, perPage: 100 });
        for (const filterField of filters[name]) queries.push({ sortField, sortDirection, page: 0, perPage: 100, filterField, filter: 'Sensor-*' });
      }
    }
    for (const query of queries) {
      captured.length = 0;
      await list(query);
      const selects = captured.filter((q) => /^\s*select/i.test(q.sql));
      // The page and its count.
      expect(selects.length, JSON.stringify(query)).toBeGreaterThanOrEqual(2);
      for (const select of selects) {
        const details = plan(select);
        const what = `${name} ${JSON.stringify(query)}\n${select.sql}\n${details}`;
        expect(details, what).toMatch(/^SEARCH \w+ USING (COVERING )?INDEX /);
        expect(details, what).not.toMatch(/TEMP B-TREE|\bSCAN\b/);
      }
    }
  });
});
