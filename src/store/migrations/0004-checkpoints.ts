import { type Kysely, type Migration } from 'kysely';
import type { DialectTraits } from '../dialects/traits.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations must not depend on the current table types
type AnyDb = Kysely<any>;

/**
 * How far a connector has read a partitioned source, kept in Tributary's own
 * store (SPEC §7: Event Hubs needs no blob storage). `source` names what the
 * position belongs to (namespace, hub, consumer group), so a changed config
 * starts afresh; a position is written only once everything up to it is retained.
 */
export function checkpoints(traits: DialectTraits): Migration {
  return {
    async up(db: AnyDb) {
      await db.schema
        .createTable('checkpoints')
        .addColumn('integration_id', 'varchar(24)', (c) => c.notNull().references('integrations.id').onDelete('cascade'))
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('partition_id', 'text', (c) => c.notNull())
        .addColumn('sequence_number', traits.bigint, (c) => c.notNull())
        .addColumn('offset', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('checkpoints_pk', ['integration_id', 'source', 'partition_id'])
        .execute();
    },
    async down(db: AnyDb) {
      await db.schema.dropTable('checkpoints').execute();
    },
  };
}
