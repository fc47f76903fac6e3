import { Lru } from '../../lib/lru.js';
import type { ChangeFeed, IntegrationRepository, IntegrationRow } from '../store.js';

const CAPACITY = 50_000;

/**
 * A cache of integration rows. Every write goes to the database first; an
 * update reaches the cache once committed, a new row only once read. A read during which any write
 * completed or any change was announced does not store what it read (a write
 * generation). With no change feed the store must have no other writer
 * (SQLite: one node per file); with one (PostgreSQL), rows others change are
 * dropped as their notifications arrive, and the cache is bypassed whenever
 * the feed is not listening.
 */
export function withRowCache(repository: IntegrationRepository, feed?: ChangeFeed): IntegrationRepository & { forget(ids: readonly string[]): void } {
  const rows = new Lru<string, IntegrationRow>(CAPACITY);
  let generation = 0;
  const forget = (id: string) => {
    rows.delete(id);
    generation += 1;
  };
  feed?.subscribe(
    (change) => {
      if (change.table === 'integrations' || change.table === 'integration_status') forget(change.id);
    },
    () => {
      rows.clear();
      generation += 1;
    },
  );
  const trusted = () => feed === undefined || feed.live;

  return {
    ...repository,
    async insert(row) {
      await repository.insert(row);
      // Not cached until read: holding every new row would fill the heap with rows nobody asked for.
      generation += 1;
    },
    async findById(applicationId, id) {
      if (!trusted()) return repository.findById(applicationId, id);
      const cached = rows.get(id);
      if (cached) return cached.applicationId === applicationId ? cached : undefined;
      const before = generation;
      const row = await repository.findById(applicationId, id);
      if (row && generation === before && trusted()) rows.set(id, row);
      return row;
    },
    async update(row) {
      const updated = await repository.update(row);
      // The status is the runtime's; an update keeps the one stored.
      const status = rows.get(row.id)?.status;
      forget(row.id);
      if (updated && status) rows.set(row.id, { ...row, status });
      return updated;
    },
    async delete(applicationId, id) {
      const deleted = await repository.delete(applicationId, id);
      forget(id);
      return deleted;
    },
    async writeStatuses(statuses, holder) {
      await repository.writeStatuses(statuses, holder);
      generation += 1;
      for (const [id, status] of statuses) {
        const cached = rows.get(id);
        if (cached) rows.set(id, { ...cached, status });
      }
    },
    forget(ids) {
      for (const id of ids) forget(id);
    },
  };
}
