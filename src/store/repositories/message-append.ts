import { sql, type Kysely } from 'kysely';
import { kyselyRunner, type QueryRunner } from '../dialects/traits.js';
import { PreparedQueries } from '../prepared.js';
import type { Database } from '../schema.js';
import type { NewMessage } from '../store.js';

export type Appender = (messages: readonly NewMessage[]) => Promise<number[]>;

/** Rows per INSERT: fewer statements, and only a few distinct SQL texts to prepare. */
const ROWS_PER_INSERT = 64;

function rowOf(m: NewMessage, pos: number) {
  return {
    application_id: m.applicationId,
    pos,
    integration_id: m.integrationId,
    time: m.time,
    topic: m.topic,
    message: m.message,
    encoding: m.encoding,
    source_id: m.sourceId,
    attributes: m.attributes === null ? null : JSON.stringify(m.attributes),
  };
}

/**
 * SQLite: this process is the database's only writer, so it numbers each
 * application's messages itself, from the stored last position on first use.
 * The rows and the new last positions are sent together without awaiting in
 * between, so the group commit puts them in one transaction.
 */
export function appendSqlite(db: Kysely<Database>, run: QueryRunner = kyselyRunner(db)): (messages: readonly NewMessage[]) => Promise<number[]> {
  const last = new Map<string, number>();
  // One INSERT text per row count (1 to ROWS_PER_INSERT), built once: compiling it each time cost more than running it.
  const prepared = new PreparedQueries(run);
  const insert = (rows: readonly ReturnType<typeof rowOf>[]) => {
    const values: unknown[] = [];
    for (const r of rows) values.push(r.application_id, r.pos, r.integration_id, r.time, r.topic, r.message, r.encoding, r.source_id, r.attributes);
    return prepared.run(`messages.insert.${rows.length}`, values, (p) =>
      db.insertInto('messages').values(
        rows.map((_, i) => {
          const [application_id, pos, integration_id, time, topic, message, encoding, source_id, attributes] = p.slice(i * 9, i * 9 + 9);
          return { application_id: application_id!, pos: pos!, integration_id: integration_id!, time: time!, topic: topic!, message: message!, encoding: encoding!, source_id: source_id!, attributes: attributes! };
        }),
      ),
    );
  };
  const lastOf = async (applicationId: string): Promise<number> => {
    const known = last.get(applicationId);
    if (known !== undefined) return known;
    const row = await db.selectFrom('message_positions').select('pos').where('application_id', '=', applicationId).executeTakeFirst();
    // Another append may have loaded it while this one waited.
    if (!last.has(applicationId)) last.set(applicationId, Number(row?.pos ?? 0));
    return last.get(applicationId)!;
  };
  return async (messages) => {
    for (const applicationId of new Set(messages.map((m) => m.applicationId))) await lastOf(applicationId);
    const positions = messages.map((m) => {
      const pos = last.get(m.applicationId)! + 1;
      last.set(m.applicationId, pos);
      return pos;
    });
    const writes: Promise<unknown>[] = [];
    for (let i = 0; i < messages.length; i += ROWS_PER_INSERT) {
      writes.push(insert(messages.slice(i, i + ROWS_PER_INSERT).map((m, j) => rowOf(m, positions[i + j]!))));
    }
    for (const applicationId of new Set(messages.map((m) => m.applicationId))) {
      const pos = last.get(applicationId)!;
      writes.push(
        db
          .insertInto('message_positions')
          .values({ application_id: applicationId, pos })
          .onConflict((oc) => oc.column('application_id').doUpdateSet({ pos: sql`max(message_positions.pos, excluded.pos)` }))
          .execute(),
      );
    }
    await Promise.all(writes);
    return positions;
  };
}

/**
 * PostgreSQL: nodes append concurrently, so positions come from the
 * database. One statement (one round trip, its own transaction) bumps each
 * application's counter row by the batch's count, inserts the rows numbered
 * from it, and announces the new last positions with the node that made them
 * (`messages:<app>:<pos>[:<origin>]`, sent on commit). The counter rows stay
 * locked until the commit, so a later batch of the same application waits
 * for it: positions follow commit order, and a reader that has seen position
 * p has seen everything before it.
 */
export function appendPostgres(db: Kysely<Database>, origin?: string): (messages: readonly NewMessage[]) => Promise<number[]> {
  const from = origin === undefined ? '' : `:${origin}`;
  return async (messages) => {
    const counts = new Map<string, number>();
    // Each message's place among its application's in this batch (1, 2, …).
    const places = messages.map((m) => {
      const n = (counts.get(m.applicationId) ?? 0) + 1;
      counts.set(m.applicationId, n);
      return n;
    });
    // Counters are bumped in one order, so two nodes' batches never wait on each other's locks crosswise.
    const applications = [...counts.keys()].sort();
    const sizes = applications.map((a) => counts.get(a)!);
    // One JSON parameter, parsed by PostgreSQL: JSON.stringify is native, while the driver's escaping of
    // nine text arrays is JavaScript on the event loop, long enough at thousands of rows to stall reading.
    const rows = JSON.stringify(messages.map((m, i) => rowOf(m, places[i]!)));
    const { rows: lasts } = await sql<{ application_id: string; pos: number | string }>`
      with bumped as (
        insert into message_positions (application_id, pos)
        select a, n from unnest(${applications}::text[], ${sizes}::bigint[]) as t(a, n)
        on conflict (application_id) do update set pos = message_positions.pos + excluded.pos
        returning application_id, pos
      ), batch as (
        select a, n from unnest(${applications}::text[], ${sizes}::bigint[]) as t(a, n)
      ), added as (
        insert into messages (application_id, pos, integration_id, time, topic, message, encoding, source_id, attributes)
        select r.application_id, b.pos - c.n + r.pos, r.integration_id, r.time, r.topic, r.message, r.encoding, r.source_id, r.attributes
        from json_to_recordset(${rows}::json) as r(application_id varchar, pos bigint, integration_id varchar, time bigint,
          topic text, message text, encoding text, source_id text, attributes text)
        join bumped b on b.application_id = r.application_id
        join batch c on c.a = r.application_id
      )
      select b.application_id, b.pos, pg_notify('tributary_changes:' || current_schema(), 'messages:' || b.application_id || ':' || b.pos || ${from})
      from bumped b`.execute(db);
    const first = new Map<string, number>();
    for (const { application_id, pos } of lasts) first.set(application_id, Number(pos) - counts.get(application_id)!);
    return messages.map((m, i) => first.get(m.applicationId)! + places[i]!);
  };
}
