import { sql, type Kysely, type Migration } from 'kysely';
import type { DialectTraits } from '../dialects/traits.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations must not depend on the current table types
type AnyDb = Kysely<any>;

/**
 * The retained messages (SPEC §6). A message's `pos` is its id: assigned per
 * application in commit order, so one number is a cursor for the
 * integration's stream and for the application's. `message_positions` keeps
 * each application's last position (ids never go back, even once every
 * message is pruned); `message_pruned` keeps the last position pruned per
 * integration, which is how a stream knows a cursor is older than what is kept.
 */
export function messages(traits: DialectTraits): Migration {
  return {
    async up(db: AnyDb) {
      let table = db.schema
        .createTable('messages')
        .addColumn('application_id', 'varchar(24)', (c) => c.notNull())
        .addColumn('pos', traits.bigint, (c) => c.notNull())
        .addColumn('integration_id', 'varchar(24)', (c) => c.notNull().references('integrations.id').onDelete('cascade'))
        .addColumn('time', traits.bigint, (c) => c.notNull())
        .addColumn('topic', 'text', (c) => c.notNull())
        .addColumn('message', 'text', (c) => c.notNull())
        .addColumn('encoding', 'text')
        .addColumn('source_id', 'text')
        .addColumn('attributes', 'text')
        .addPrimaryKeyConstraint('messages_pk', ['application_id', 'pos']);
      if (traits.kind === 'sqlite') table = table.modifyEnd(sql`without rowid`);
      await table.execute();
      await db.schema.createIndex('messages_integration').on('messages').columns(['integration_id', 'pos']).execute();

      await db.schema
        .createTable('message_positions')
        .addColumn('application_id', 'varchar(24)', (c) => c.primaryKey().references('applications.id').onDelete('cascade'))
        .addColumn('pos', traits.bigint, (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('message_pruned')
        .addColumn('integration_id', 'varchar(24)', (c) => c.primaryKey().references('integrations.id').onDelete('cascade'))
        .addColumn('application_id', 'varchar(24)', (c) => c.notNull())
        .addColumn('pos', traits.bigint, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('message_pruned_app').on('message_pruned').columns(['application_id', 'pos']).execute();
    },
    async down(db: AnyDb) {
      for (const name of ['message_pruned', 'message_positions', 'messages']) await db.schema.dropTable(name).execute();
    },
  };
}
