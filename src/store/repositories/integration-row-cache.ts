import { Lru } from '../../lib/lru.js';
import type { IntegrationRepository, IntegrationRow } from '../store.js';

const CAPACITY = 50_000;

/**
 * A write-through cache of integration rows, for a store this process alone
 * writes (SQLite: one node per database file). Every write goes to the
 * database first and reaches the cache once committed; a read during which
 * any write completed does not store what it read (a write generation), so
 * the cache never holds anything older than the database.
 */
export function withRowCache(repository: IntegrationRepository): IntegrationRepository & { forget(ids: readonly string[]): void } {
  const rows = new Lru<string, IntegrationRow>(CAPACITY);
  let generation = 0;
  const forget = (id: string) => {
    rows.delete(id);
    generation += 1;
  };

  return {
    ...repository,
    async insert(row) {
      await repository.insert(row);
      generation += 1;
      rows.set(row.id, row);
    },
    async findById(applicationId, id) {
      const cached = rows.get(id);
      if (cached) return cached.applicationId === applicationId ? cached : undefined;
      const before = generation;
      const row = await repository.findById(applicationId, id);
      if (row && generation === before) rows.set(id, row);
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
    async writeStatuses(statuses) {
      await repository.writeStatuses(statuses);
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
