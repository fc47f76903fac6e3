import { sql, type Kysely, type Selectable } from 'kysely';
import type { DialectTraits, QueryRunner } from '../dialects/traits.js';
import type { Database, MessagesTable } from '../schema.js';
import type { MessageRepository, MessageRow, NewMessage } from '../store.js';
import { appendPostgres, appendSqlite, type Appender } from './message-append.js';

/** Rows removed per statement when pruning by age, so no single delete holds the writer long. */
const PRUNE_SLICE = 5000;

function toRow(r: Selectable<MessagesTable>): MessageRow {
  return {
    pos: Number(r.pos),
    integrationId: r.integration_id,
    applicationId: r.application_id,
    time: Number(r.time),
    topic: r.topic,
    message: r.message,
    encoding: r.encoding === 'base64' ? 'base64' : null,
    sourceId: r.source_id,
    attributes: r.attributes === null ? null : (JSON.parse(r.attributes) as Record<string, string>),
  };
}

/**
 * The retained log (SPEC §6). Positions come from the dialect's appender:
 * on SQLite this process is the only writer and counts them itself; on
 * PostgreSQL every node appends, and each application's counter row, locked
 * until its transaction commits, orders them.
 */
export interface MessageRepositoryOptions {
  /** The node whose commits these are, said in each commit's announcement (PostgreSQL). */
  readonly origin?: string | undefined;
  /** Runs prepared statements (SQLite: straight on the driver). */
  readonly run?: QueryRunner | undefined;
}

export function messageRepository(db: Kysely<Database>, traits: DialectTraits, options: MessageRepositoryOptions = {}): MessageRepository {
  const append: Appender = traits.kind === 'sqlite' ? appendSqlite(db, options.run) : appendPostgres(db, options.origin);
  return {
    append,
    async list(applicationId, integrationId, query) {
      let base = db.selectFrom('messages').where('integration_id', '=', integrationId).where('application_id', '=', applicationId);
      if (query.since !== undefined) base = base.where('pos', '>', query.since);
      const [total, rows] = await Promise.all([
        base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
        base
          .selectAll()
          .orderBy('pos', query.sortDirection)
          .limit(query.perPage)
          .offset(query.page * query.perPage)
          .execute(),
      ]);
      return { items: rows.map(toRow), totalCount: Number(total.n) };
    },
    async after(applicationId, integrationId, pos, limit) {
      let query = db.selectFrom('messages').selectAll();
      query = integrationId === null ? query.where('application_id', '=', applicationId) : query.where('integration_id', '=', integrationId);
      const rows = await query.where('pos', '>', pos).orderBy('pos', 'asc').limit(limit).execute();
      return rows.map(toRow);
    },
    async page(applicationId, integrationId, pos, limit) {
      const scope = integrationId === null ? sql`application_id = ${applicationId}` : sql`integration_id = ${integrationId}`;
      const pruned =
        integrationId === null
          ? sql`select max(pos) from message_pruned where application_id = ${applicationId}`
          : sql`select pos from message_pruned where integration_id = ${integrationId}`;
      // One statement, one snapshot: the pruned mark and the rows after `pos` as they were together.
      const { rows } = await sql<Selectable<MessagesTable> & { pruned: number | string | null }>`
        select p.pruned, m.* from (select (${pruned}) as pruned) p
        left join (select * from messages where ${scope} and pos > ${pos} order by pos limit ${limit}) m on 1 = 1
        order by m.pos`.execute(db);
      const prunedThrough = Number(rows[0]?.pruned ?? 0);
      return { rows: rows.filter((r) => r.pos !== null).map(toRow), prunedThrough };
    },
    async cursor(applicationId, integrationId, pos) {
      const pruned =
        integrationId === null
          ? db.selectFrom('message_pruned').select((eb) => eb.fn.max('pos').as('pos')).where('application_id', '=', applicationId)
          : db.selectFrom('message_pruned').select('pos').where('integration_id', '=', integrationId);
      const [at, prunedRow, last] = await Promise.all([
        db.selectFrom('messages').select('integration_id').where('application_id', '=', applicationId).where('pos', '=', pos).executeTakeFirst(),
        pruned.executeTakeFirst(),
        db.selectFrom('message_positions').select('pos').where('application_id', '=', applicationId).executeTakeFirst(),
      ]);
      return { owner: at?.integration_id, prunedThrough: Number(prunedRow?.pos ?? 0), last: Number(last?.pos ?? 0) };
    },
    async keepNewest(integrationId, keep) {
      // Two statements that run where the writes run (the SQLite writer thread; the PostgreSQL
      // server), the second deleting up to what the first recorded, so the mark never trails
      // what was deleted even if appends land between them.
      await sql`insert into message_pruned (integration_id, application_id, pos)
        select * from (
          select integration_id, application_id, pos from messages where integration_id = ${integrationId} order by pos desc limit 1 offset ${keep}
        ) as cutoff where true
        on conflict (integration_id) do update set pos = excluded.pos`.execute(db);
      await sql`delete from messages where integration_id = ${integrationId}
        and pos <= (select pos from message_pruned where integration_id = ${integrationId})`.execute(db);
    },
    async pruneBefore(time) {
      const applications = await db.selectFrom('message_positions').select('application_id').execute();
      for (const { application_id: applicationId } of applications) {
        for (;;) {
          const oldest = await db.selectFrom('messages').select('pos').where('application_id', '=', applicationId).orderBy('pos', 'asc').limit(1).executeTakeFirst();
          if (!oldest) break;
          const ceiling = Number(oldest.pos) + PRUNE_SLICE;
          // Positions grow with arrival time, so what arrived before `time` is a prefix of the application's log.
          const kept = await db
            .selectFrom('messages')
            .select('pos')
            .where('application_id', '=', applicationId)
            .where('pos', '<', ceiling)
            .where('time', '>=', time)
            .orderBy('pos', 'asc')
            .limit(1)
            .executeTakeFirst();
          const end = kept ? Number(kept.pos) : ceiling;
          if (end <= Number(oldest.pos)) break;
          await db
            .insertInto('message_pruned')
            .columns(['integration_id', 'application_id', 'pos'])
            .expression(
              db
                .selectFrom('messages')
                .select(['integration_id', 'application_id', (eb) => eb.fn.max('pos').as('pos')])
                .where('application_id', '=', applicationId)
                .where('pos', '<', end)
                .groupBy(['integration_id', 'application_id']),
            )
            .onConflict((oc) => oc.column('integration_id').doUpdateSet({ pos: sql`excluded.pos` }))
            .execute();
          await db.deleteFrom('messages').where('application_id', '=', applicationId).where('pos', '<', end).execute();
          if (kept) break;
        }
      }
    },
  };
}

export type { NewMessage };
