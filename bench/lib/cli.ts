/**
 * Flag parsing for the benchmark scripts on top of node:util parseArgs, with
 * mistakes reported as one plain sentence instead of a Node error code.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

export class UsageError extends Error {}

type Options = NonNullable<ParseArgsConfig['options']>;

export function parseFlags<O extends Options>(argv: readonly string[], options: O) {
  try {
    return parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }).values;
  } catch (err) {
    const code = (err as { code?: string }).code;
    const message = err instanceof Error ? err.message : String(err);
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      const flag = /'([^']+)'/.exec(message)?.[1] ?? 'given';
      throw new UsageError(`There is no ${flag} option; run with --help to see the options.`);
    }
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      const flag = /'(-[^' ]+)/.exec(message)?.[1] ?? 'An option';
      throw new UsageError(`${flag} needs a value; run with --help to see the options.`);
    }
    if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
      const arg = /'([^']+)'/.exec(message)?.[1] ?? '';
      throw new UsageError(`Unexpected argument "${arg}": this command takes only options; run with --help to see them.`);
    }
    throw err;
  }
}

export function positiveInteger(flag: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) <= 0) throw new UsageError(`${flag} must be a whole number above 0, got "${raw}".`);
  return Number(raw);
}

export function nonNegativeInteger(flag: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) throw new UsageError(`${flag} must be a whole number (0 or more), got "${raw}".`);
  return Number(raw);
}

export function oneOf<T extends string>(flag: string, raw: string | undefined, values: readonly T[], fallback: T): T {
  if (raw === undefined) return fallback;
  if (!(values as readonly string[]).includes(raw)) throw new UsageError(`${flag} must be one of ${values.join(', ')}, got "${raw}".`);
  return raw as T;
}
