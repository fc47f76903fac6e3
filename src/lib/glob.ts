/**
 * Losant-style glob filters: `*` matches any run of characters, every other
 * character is literal. Matching is case-insensitive; callers compare against
 * a case-folded copy of the column (see `foldCase`).
 */

/** The fold used for both stored values and patterns, so they always agree. */
export function foldCase(value: string): string {
  return value.toLowerCase();
}

export const LIKE_ESCAPE = '\\';

/** Translates a glob into a SQL LIKE pattern using `\` as the escape character. */
export function globToLike(glob: string): string {
  let out = '';
  for (const ch of foldCase(glob)) {
    if (ch === '*') out += '%';
    else if (ch === '%' || ch === '_' || ch === LIKE_ESCAPE) out += LIKE_ESCAPE + ch;
    else out += ch;
  }
  return out;
}
