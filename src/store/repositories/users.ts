import type { Kysely, Selectable } from 'kysely';
import { foldCase } from '../../lib/glob.js';
import type { Database, UsersTable } from '../schema.js';
import type { UserRepository, UserRow } from '../store.js';

function toRow(r: Selectable<UsersTable>): UserRow {
  return { id: r.id, email: r.email, passwordHash: r.password_hash, creationDate: r.creation_date, lastUpdated: r.last_updated };
}

export function userRepository(db: Kysely<Database>): UserRepository {
  return {
    async insert(row) {
      const result = await db
        .insertInto('users')
        .values({
          id: row.id,
          email: row.email,
          email_fold: foldCase(row.email),
          password_hash: row.passwordHash,
          creation_date: row.creationDate,
          last_updated: row.lastUpdated,
        })
        .onConflict((oc) => oc.column('email_fold').doNothing())
        .executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
    },
    async findByEmail(email) {
      const r = await db.selectFrom('users').selectAll().where('email_fold', '=', foldCase(email)).executeTakeFirst();
      return r && toRow(r);
    },
    async findById(id) {
      const r = await db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
      return r && toRow(r);
    },
    async count() {
      const r = await db.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      return Number(r.n);
    },
    async updatePassword(id, passwordHash, lastUpdated) {
      const r = await db.updateTable('users').set({ password_hash: passwordHash, last_updated: lastUpdated }).where('id', '=', id).executeTakeFirst();
      return Number(r.numUpdatedRows) > 0;
    },
  };
}
