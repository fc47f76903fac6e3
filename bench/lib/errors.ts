/** One line for an error, with its causes: fetch's "fetch failed" alone says nothing about why. */
export function describeError(err: unknown): string {
  const parts: string[] = [];
  let current: unknown = err;
  for (let depth = 0; current !== undefined && current !== null && depth < 5; depth++) {
    if (!(current instanceof Error)) {
      parts.push(typeof current === 'string' ? current : JSON.stringify(current));
      break;
    }
    parts.push(current.message);
    current = current.cause;
  }
  return parts.join(': ');
}
