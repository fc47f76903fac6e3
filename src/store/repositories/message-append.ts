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
 * database. Each application's counter row is bumped by the batch's count and
 * stays locked until the transaction commits; a later batch of the same
 * application waits for it, so positions follow commit order and a reader
 * that has seen position p has seen everything before it. Each commit is
 * announced with the applications' newest positions and the node that made it
 * (`messages:<app>:<pos>[:<origin>]`).
 */
export function appendPostgres(db: Kysely<Database>, origin?: string): (messages: readonly NewMessage[]) => Promise<number[]> {
  const from = origin === undefined ? '' : `:${origin}`;
  return (messages) =>
    db.transaction().execute(async (tx) => {
      const counts = new Map<string, number>();
      for (const m of messages) counts.set(m.applicationId, (counts.get(m.applicationId) ?? 0) + 1);
      const next = new Map<string, number>();
      // Always in the same order, so two nodes' batches never wait on each other's locks crosswise.
      for (const applicationId of [...counts.keys()].sort()) {
        const n = counts.get(applicationId)!;
        const row = await tx
          .insertInto('message_positions')
          .values({ application_id: applicationId, pos: n })
          .onConflict((oc) => oc.column('application_id').doUpdateSet({ pos: sql`message_positions.pos + ${n}` }))
          .returning('pos')
          .executeTakeFirstOrThrow();
        next.set(applicationId, Number(row.pos) - n + 1);
      }
      const positions = messages.map((m) => {
        const pos = next.get(m.applicationId)!;
        next.set(m.applicationId, pos + 1);
        return pos;
      });
      // One JSON parameter, parsed by PostgreSQL: JSON.stringify is native, while the driver's escaping of
      // nine text arrays is JavaScript on the event loop, long enough at thousands of rows to stall reading.
      const rows = JSON.stringify(messages.map((m, i) => rowOf(m, positions[i]!)));
      await sql`insert into messages (application_id, pos, integration_id, time, topic, message, encoding, source_id, attributes)
        select application_id, pos, integration_id, time, topic, message, encoding, source_id, attributes
        from json_to_recordset(${rows}::json) as r(application_id varchar, pos bigint, integration_id varchar, time bigint,
          topic text, message text, encoding text, source_id text, attributes text)`.execute(tx);
      // Sent on commit: every node's streams read what is new from the log (src/runtime/cluster/log-tail.ts).
      const applications = [...next.keys()];
      const lasts = applications.map((applicationId) => next.get(applicationId)! - 1);
      await sql`select pg_notify('tributary_changes:' || current_schema(), 'messages:' || a || ':' || p || ${from})
        from unnest(${applications}::text[], ${lasts}::bigint[]) as t(a, p)`.execute(tx);
      return positions;
    });
}
