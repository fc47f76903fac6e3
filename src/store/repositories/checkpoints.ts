import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';
import type { CheckpointRepository } from '../store.js';

export function checkpointRepository(db: Kysely<Database>): CheckpointRepository {
  return {
    async load(integrationId, source) {
      const rows = await db.selectFrom('checkpoints').select(['partition_id', 'sequence_number', 'offset']).where('integration_id', '=', integrationId).where('source', '=', source).execute();
      return rows.map((r) => ({ partitionId: r.partition_id, sequenceNumber: Number(r.sequence_number), offset: r.offset }));
    },
    async save(integrationId, source, checkpoint) {
      const values = { sequence_number: checkpoint.sequenceNumber, offset: checkpoint.offset };
      // An integration deleted meanwhile has nothing left to resume: its row is gone and the insert is refused; nothing to keep.
      await db
        .insertInto('checkpoints')
        .values({ integration_id: integrationId, source, partition_id: checkpoint.partitionId, ...values })
        .onConflict((oc) => oc.columns(['integration_id', 'source', 'partition_id']).doUpdateSet(values))
        .execute();
    },
  };
}
