import { type Kysely, type Migration } from 'kysely';
import type { DialectTraits } from '../dialects/traits.js';

// Kysely migrations receive an untyped database on purpose: they must keep
// working after the table types in schema.ts move on.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

export function initial(traits: DialectTraits): Migration {
  const text = traits.sortableText;
  return {
    async up(db: AnyDb) {
      await db.schema
        .createTable('users')
        .addColumn('id', 'varchar(24)', (c) => c.primaryKey())
        .addColumn('email', 'text', (c) => c.notNull())
        .addColumn('email_fold', text, (c) => c.notNull().unique())
        .addColumn('password_hash', 'text', (c) => c.notNull())
        .addColumn('creation_date', 'varchar(24)', (c) => c.notNull())
        .addColumn('last_updated', 'varchar(24)', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('applications')
        .addColumn('id', 'varchar(24)', (c) => c.primaryKey())
        .addColumn('owner_id', 'varchar(24)', (c) => c.notNull().references('users.id'))
        .addColumn('name', text, (c) => c.notNull())
        .addColumn('name_fold', text, (c) => c.notNull())
        .addColumn('description', 'text')
        .addColumn('attributes', 'text', (c) => c.notNull())
        .addColumn('creation_date', 'varchar(24)', (c) => c.notNull())
        .addColumn('last_updated', 'varchar(24)', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('applications_owner_name').on('applications').columns(['owner_id', 'name', 'id', 'name_fold']).execute();
      for (const column of ['creation_date', 'last_updated']) {
        await db.schema.createIndex(`applications_owner_${column}`).on('applications').columns(['owner_id', column, 'id']).execute();
      }
      await db.schema.createIndex('applications_owner_id').on('applications').columns(['owner_id', 'id']).execute();

      await db.schema
        .createTable('api_tokens')
        .addColumn('id', 'varchar(24)', (c) => c.primaryKey())
        .addColumn('application_id', 'varchar(24)', (c) => c.notNull().references('applications.id').onDelete('cascade'))
        .addColumn('name', text, (c) => c.notNull())
        .addColumn('name_fold', text, (c) => c.notNull())
        .addColumn('description', 'text')
        .addColumn('scope', 'text', (c) => c.notNull())
        .addColumn('status', text, (c) => c.notNull())
        .addColumn('expiration_date', 'varchar(24)')
        .addColumn('creator_id', 'varchar(24)', (c) => c.notNull())
        .addColumn('creator_type', 'text', (c) => c.notNull())
        .addColumn('creator_name', 'text')
        .addColumn('creation_date', 'varchar(24)', (c) => c.notNull())
        .addColumn('last_updated', 'varchar(24)', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('api_tokens_app_name').on('api_tokens').columns(['application_id', 'name', 'id', 'name_fold']).execute();
      for (const column of ['status', 'creation_date', 'last_updated', 'expiration_date']) {
        await db.schema.createIndex(`api_tokens_app_${column}`).on('api_tokens').columns(['application_id', column, 'id']).execute();
      }
      await db.schema.createIndex('api_tokens_app_id').on('api_tokens').columns(['application_id', 'id']).execute();

      await db.schema
        .createTable('integrations')
        .addColumn('id', 'varchar(24)', (c) => c.primaryKey())
        .addColumn('application_id', 'varchar(24)', (c) => c.notNull().references('applications.id').onDelete('cascade'))
        .addColumn('name', text, (c) => c.notNull())
        .addColumn('name_fold', text, (c) => c.notNull())
        .addColumn('integration_type', text, (c) => c.notNull())
        .addColumn('enabled', 'integer', (c) => c.notNull())
        .addColumn('topics', 'text', (c) => c.notNull())
        .addColumn('credential_name', 'text')
        .addColumn('config', 'text', (c) => c.notNull())
        .addColumn('secrets', 'text')
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('creation_date', 'varchar(24)', (c) => c.notNull())
        .addColumn('last_updated', 'varchar(24)', (c) => c.notNull())
        .execute();
      // name_fold rides along so a name filter is checked from the index, not from each row.
      await db.schema.createIndex('integrations_app_name').on('integrations').columns(['application_id', 'name', 'id', 'name_fold']).execute();
      for (const column of ['integration_type', 'creation_date', 'last_updated']) {
        await db.schema.createIndex(`integrations_app_${column}`).on('integrations').columns(['application_id', column, 'id']).execute();
      }
      await db.schema.createIndex('integrations_app_id').on('integrations').columns(['application_id', 'id']).execute();

      await db.schema
        .createTable('integration_events')
        .addColumn('id', 'varchar(24)', (c) => c.primaryKey())
        .addColumn('integration_id', 'varchar(24)', (c) => c.notNull().references('integrations.id').onDelete('cascade'))
        .addColumn('application_id', 'varchar(24)', (c) => c.notNull())
        .addColumn('ts', traits.bigint, (c) => c.notNull())
        .addColumn('type', text, (c) => c.notNull())
        .addColumn('message', 'text')
        .execute();
      await db.schema.createIndex('integration_events_ts').on('integration_events').columns(['integration_id', 'ts', 'id']).execute();
      await db.schema.createIndex('integration_events_type').on('integration_events').columns(['integration_id', 'type', 'id']).execute();
      await db.schema.createIndex('integration_events_id').on('integration_events').columns(['integration_id', 'id']).execute();

      await db.schema
        .createTable('settings')
        .addColumn('key', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('value', 'text', (c) => c.notNull())
        .execute();
    },
    async down(db: AnyDb) {
      for (const table of ['settings', 'integration_events', 'integrations', 'api_tokens', 'applications', 'users']) {
        await db.schema.dropTable(table).execute();
      }
    },
  };
}
