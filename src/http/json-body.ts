import type { FastifyInstance } from 'fastify';
import secureJson from 'secure-json-parse';
import { ValidationError } from '../errors.js';

const MEDIA_TYPE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+\/[!#$%&'*+.^_`|~0-9A-Za-z-]+\s*(;|$)/;
/** JSON escapes that can produce a NUL or a lone surrogate; only bodies holding one are walked. */
const SUSPICIOUS_ESCAPE = /\\u(0000|d[89a-f])/i;

/** A value met while walking a body, with the way back to the root (paths are only built for an offender). */
interface Visit {
  readonly value: unknown;
  readonly key?: string | number;
  readonly parent?: Visit;
}

const MAX_PATH_LENGTH = 200;

function pathOf(visit: Visit): string {
  const keys: (string | number)[] = [];
  for (let at: Visit | undefined = visit; at?.key !== undefined; at = at.parent) keys.push(at.key);
  let path = '';
  for (const key of keys.reverse()) path = typeof key === 'number' ? `${path}[${key}]` : path ? `${path}.${key}` : key;
  // A body nested thousands deep would otherwise echo a path as long as itself.
  return path.length > MAX_PATH_LENGTH ? `${path.slice(0, MAX_PATH_LENGTH / 2)}…${path.slice(-MAX_PATH_LENGTH / 2)}` : path;
}

function checkText(text: string, where: string): string | undefined {
  if (text.includes('\u0000')) return `${where || 'The request body'} must not contain NUL characters`;
  if (!text.isWellFormed()) return `${where || 'The request body'} must be well-formed Unicode (it has an unpaired surrogate)`;
  return undefined;
}

/**
 * Strings we cannot store faithfully: NUL (PostgreSQL text refuses it) and
 * unpaired surrogates (each store would rewrite them differently). Refused
 * with the path of the first offender, keys included. Walked with a stack of
 * its own rather than by recursion, so no nesting depth overflows the call stack.
 */
function findBadString(root: unknown): string | undefined {
  const stack: Visit[] = [{ value: root }];
  for (let visit = stack.pop(); visit !== undefined; visit = stack.pop()) {
    const { value, key } = visit;
    if (typeof key === 'string') {
      const found = checkText(key, `The key ${JSON.stringify(key)}`);
      if (found) return found;
    }
    if (typeof value === 'string') {
      const found = checkText(value, pathOf(visit));
      if (found) return found;
    } else if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push({ value: value[i] as unknown, key: i, parent: visit });
    } else if (value !== null && typeof value === 'object') {
      const entries = Object.entries(value);
      for (let i = entries.length - 1; i >= 0; i--) stack.push({ value: entries[i]![1], key: entries[i]![0], parent: visit });
    }
  }
  return undefined;
}

/**
 * Parses every request body as JSON, whatever its Content-Type says (curl's -d
 * sends form encoding by default). An empty body is no body, so the seeds'
 * curl examples that send a Content-Type on GET and DELETE are accepted.
 * `__proto__` and `constructor.prototype` keys are refused.
 */
export function registerJsonBody(app: FastifyInstance): void {
  // Fastify answers 415 to a Content-Type it cannot even parse, before any
  // parser runs; since every body is JSON here, such a header is simply replaced.
  app.addHook('onRequest', (request, _reply, done) => {
    const type = request.headers['content-type'];
    if (type !== undefined && !MEDIA_TYPE.test(type)) request.headers['content-type'] = 'application/json';
    done();
  });

  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => {
    const text = body as string;
    if (text.trim() === '') return done(null, undefined);
    let parsed: unknown;
    try {
      parsed = secureJson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' });
    } catch (err) {
      const forbidden = err instanceof SyntaxError && /prototype/i.test(err.message);
      return done(new ValidationError(forbidden ? 'The request body contains a forbidden key (__proto__ or constructor.prototype)' : 'The request body is not valid JSON'), undefined);
    }
    const bad = SUSPICIOUS_ESCAPE.test(text) ? findBadString(parsed) : undefined;
    if (bad) return done(new ValidationError(bad), undefined);
    done(null, parsed);
  });
}
