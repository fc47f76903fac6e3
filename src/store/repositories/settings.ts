import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';
import type { SettingRepository } from '../store.js';

export function settingRepository(db: Kysely<Database>): SettingRepository {
  return {
    async get(key) {
      const r = await db.selectFrom('settings').select('value').where('key', '=', key).executeTakeFirst();
      return r?.value;
    },
    async getOrInsert(key, value) {
      await db.insertInto('settings').values({ key, value }).onConflict((oc) => oc.column('key').doNothing()).execute();
      const r = await db.selectFrom('settings').select('value').where('key', '=', key).executeTakeFirstOrThrow();
      return r.value;
    },
  };
}
