/**
 * What the main thread and the SQLite writer thread say to each other
 * (sqlite-writer.ts and sqlite-writer-thread.ts). Messages are answered in
 * the order sent; statements travel by number, their SQL only with the first
 * use of a number (structured-cloning the same text with every op would cost
 * more than running some of them).
 */

/** A statement with its parameters, or a command run as is (begin, commit, savepoint …). */
export type WriteOp = { readonly sql: string; readonly params: readonly unknown[] } | { readonly exec: string };

export type WriteOutcome =
  | { readonly rows: unknown[] }
  | { readonly changes: number; readonly lastInsertRowid: number | bigint }
  | { readonly error: { readonly message: string; readonly code?: string | undefined } };

/** An op as sent: its statement by number, with the SQL only the first time. */
export type SentOp = { readonly statement: number; readonly sql?: string; readonly params: readonly unknown[] } | { readonly exec: string };

/** A batch goes as one JSON string of SentOp[] when every value survives JSON (see jsonSafe), as it is otherwise. */
export type RequestBody =
  | { readonly kind: 'batch'; readonly ops: readonly SentOp[] }
  | { readonly kind: 'batch'; readonly json: string }
  | { readonly kind: 'one'; readonly op: SentOp }
  | { readonly kind: 'close' };

/** `forget`: both sides start numbering statements over from this request on. */
export type Request = { readonly id: number; readonly forget: boolean } & RequestBody;

/** The outcomes of a request, one per op, as a JSON string of WriteOutcome[] when every row is jsonSafe. */
export type Reply = { readonly id: number; readonly outcomes: WriteOutcome[] } | { readonly id: number; readonly json: string };

export interface WriterData {
  readonly file: string;
  readonly pragmas: readonly string[];
}

/**
 * Strings, finite numbers and null come out of JSON as they went in;
 * Buffers, bigints, undefined and non-finite numbers do not. One JSON string
 * clones much faster than thousands of small values, so both sides send one
 * whenever everything in it is safe.
 */
export function jsonSafe(value: unknown): boolean {
  return value === null || typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value));
}
