import { Migrator, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import type { DialectTraits } from '../dialects/traits.js';
import { initial } from './0001-initial.js';
import { changeNotifications } from './0002-change-notifications.js';
import { messages } from './0003-messages.js';
import { checkpoints } from './0004-checkpoints.js';
import { cluster } from './0005-cluster.js';

/** Versioned migrations, applied in name order; never edit one that has shipped. */
function migrations(traits: DialectTraits): Record<string, Migration> {
  return {
    '0001-initial': initial(traits),
    '0002-change-notifications': changeNotifications(traits),
    '0003-messages': messages(traits),
    '0004-checkpoints': checkpoints(traits),
    '0005-cluster': cluster(traits),
  };
}

export async function migrateToLatest(db: Kysely<unknown>, traits: DialectTraits, schema?: string): Promise<void> {
  const provider: MigrationProvider = { getMigrations: async () => migrations(traits) };
  const migrator = new Migrator({
    db,
    provider,
    migrationTableName: 'tributary_migrations',
    migrationLockTableName: 'tributary_migrations_lock',
    ...(schema ? { migrationTableSchema: schema } : {}),
  });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error !== undefined || failed) {
    const reason = error instanceof Error ? error.message : 'unknown error';
    throw new Error(`Database migration ${failed?.migrationName ?? ''} failed: ${reason}`, { cause: error });
  }
}
