import type { CompiledQuery, Expression, Kysely, QueryResult, RawBuilder } from 'kysely';

/** What the shared repositories and migrations need to know about a dialect. */
export interface DialectTraits {
  readonly kind: 'sqlite' | 'postgres';
  /** Column type for text that must sort bytewise (identically in both dialects). */
  readonly sortableText: RawBuilder<unknown>;
  /** Column type for 64-bit integers. */
  readonly bigint: RawBuilder<unknown>;
  /** `column LIKE pattern ESCAPE '\'` with the dialect's exact semantics (case handled by fold columns). */
  like(column: Expression<string>, pattern: string): RawBuilder<boolean>;
  /** True when the error means the database cannot be reached (answered with 503). */
  isUnavailable(error: unknown): boolean;
}

/** Runs a compiled query outside any transaction: Kysely's executeQuery, or a dialect's shorter way to the same. */
export type QueryRunner = <R>(query: CompiledQuery) => Promise<QueryResult<R>>;

export function kyselyRunner<DB>(db: Kysely<DB>): QueryRunner {
  return <R>(query: CompiledQuery) => db.executeQuery<R>(query);
}
