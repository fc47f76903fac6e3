import type { FastifyInstance } from 'fastify';
import secureJson from 'secure-json-parse';
import { ValidationError } from '../errors.js';

const MEDIA_TYPE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+\/[!#$%&'*+.^_`|~0-9A-Za-z-]+\s*(;|$)/;
/** JSON escapes that can produce a NUL or a lone surrogate; only bodies holding one are walked. */
const SUSPICIOUS_ESCAPE = /\\u(0000|d[89a-f])/i;

/**
 * Strings we cannot store faithfully: NUL (PostgreSQL text refuses it) and
 * unpaired surrogates (each store would rewrite them differently). Refused
 * with the path of the first offender, keys included.
 */
function findBadString(value: unknown, path: string): string | undefined {
  const check = (text: string, where: string) => {
    if (text.includes('\u0000')) return `${where || 'The request body'} must not contain NUL characters`;
    if (!text.isWellFormed()) return `${where || 'The request body'} must be well-formed Unicode (it has an unpaired surrogate)`;
    return undefined;
  };
  if (typeof value === 'string') return check(value, path);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findBadString(value[i], `${path}[${i}]`);
      if (found) return found;
    }
    return undefined;
  }
  if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      const where = path ? `${path}.${key}` : key;
      const found = check(key, `The key ${JSON.stringify(key)}`) ?? findBadString(item, where);
      if (found) return found;
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
    const bad = SUSPICIOUS_ESCAPE.test(text) ? findBadString(parsed, '') : undefined;
    if (bad) return done(new ValidationError(bad), undefined);
    done(null, parsed);
  });
}
