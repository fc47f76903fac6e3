import type { FastifyInstance } from 'fastify';
import secureJson from 'secure-json-parse';
import { ValidationError } from '../errors.js';

/**
 * Parses every request body as JSON, whatever its Content-Type says (curl's -d
 * sends form encoding by default). An empty body is no body, so the seeds'
 * curl examples that send a Content-Type on GET and DELETE are accepted.
 * `__proto__` and `constructor.prototype` keys are refused.
 */
export function registerJsonBody(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => {
    const text = body as string;
    if (text.trim() === '') return done(null, undefined);
    try {
      done(null, secureJson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' }));
    } catch (err) {
      const forbidden = err instanceof SyntaxError && /prototype/i.test(err.message);
      done(new ValidationError(forbidden ? 'The request body contains a forbidden key (__proto__ or constructor.prototype)' : 'The request body is not valid JSON'), undefined);
    }
  });
}
