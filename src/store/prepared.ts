import { CompiledQuery, type Compilable, type QueryResult } from 'kysely';
import type { QueryRunner } from './dialects/traits.js';

type Slot = { readonly index: number } | { readonly constant: unknown };

/**
 * Hot queries are built with Kysely once per shape and their SQL reused:
 * building and compiling costs more than running a point query on SQLite.
 * `build` receives placeholders to put where the values go; the compiled
 * parameters are mapped back to the values on every run. Anything else the
 * builder parameterises (constants) is kept as it was.
 */
export class PreparedQueries {
  private readonly shapes = new Map<string, { sql: string; slots: readonly Slot[] }>();

  constructor(private readonly runQuery: QueryRunner) {}

  async run<R>(shape: string, values: readonly unknown[], build: (placeholders: readonly never[]) => Compilable<R>): Promise<QueryResult<R>> {
    let prepared = this.shapes.get(shape);
    if (!prepared) {
      const placeholders = values.map((_, i) => `\u0000placeholder:${shape}:${i}\u0000`);
      const compiled = build(placeholders as never[]).compile();
      const slots = compiled.parameters.map((parameter): Slot => {
        const index = placeholders.indexOf(parameter as string);
        return index >= 0 ? { index } : { constant: parameter };
      });
      const missing = placeholders.findIndex((_, i) => !slots.some((slot) => 'index' in slot && slot.index === i));
      if (missing >= 0) throw new Error(`Prepared query ${shape} does not use value ${missing}`);
      prepared = { sql: compiled.sql, slots };
      this.shapes.set(shape, prepared);
    }
    const parameters = prepared.slots.map((slot) => ('index' in slot ? values[slot.index] : slot.constant));
    return this.runQuery<R>(CompiledQuery.raw(prepared.sql, parameters));
  }
}
