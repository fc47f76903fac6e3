import { Ajv, type ErrorObject, type Options } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';
import { ValidationError } from '../errors.js';

// ajv-formats is CommonJS; its default export arrives wrapped under ESM.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

/**
 * Two validators: bodies are checked strictly (no type coercion, unknown
 * fields refused), query strings and path parameters are coerced from text.
 */
function makeAjv(options: Options): Ajv {
  const ajv = new Ajv({ allErrors: false, verbose: true, useDefaults: true, removeAdditional: false, strict: true, strictRequired: false, ...options });
  addFormats(ajv, ['date-time', 'email', 'uri']);
  ajv.addKeyword({ keyword: 'x-message', schemaType: 'string' });
  return ajv;
}

const bodyAjv = makeAjv({ coerceTypes: false });
const textAjv = makeAjv({ coerceTypes: true });

/** Names of the integer/number properties of a query schema: their text must look like a number before ajv coerces it. */
function numericFields(schema: unknown): string[] {
  const properties = (schema as { properties?: Record<string, { type?: unknown }> }).properties ?? {};
  return Object.entries(properties)
    .filter(([, p]) => p.type === 'integer' || p.type === 'number')
    .map(([name]) => name);
}

const DECIMAL = /^-?\d+(\.\d+)?$/;

export const validatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) => {
  const validate = (httpPart === 'body' ? bodyAjv : textAjv).compile(schema as object);
  // ajv would read "0x10", "1e3" or " " as numbers; a query string gets plain decimals only.
  const numeric = httpPart === 'querystring' ? numericFields(schema) : [];
  return (data: unknown) => {
    for (const name of numeric) {
      const raw = (data as Record<string, unknown>)[name];
      if (typeof raw === 'string' && !DECIMAL.test(raw)) return { error: new ValidationError(`${name} must be a decimal number`) };
    }
    return validate(data) ? { value: data } : { error: new ValidationError(describe(validate.errors ?? [], httpPart)) };
  };
};

function fieldPath(instancePath: string): string {
  return instancePath
    .split('/')
    .slice(1)
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((part, i) => (/^\d+$/.test(part) ? `[${part}]` : /^[A-Za-z_$][\w$]*$/.test(part) ? (i === 0 ? part : `.${part}`) : `[${JSON.stringify(part)}]`))
    .join('');
}

function join(path: string, field: string): string {
  if (!/^[A-Za-z_$][\w$]*$/.test(field)) return `${path}[${JSON.stringify(field)}]`;
  return path === '' ? field : `${path}.${field}`;
}

function article(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

function subject(path: string, httpPart: string | undefined): string {
  if (path !== '') return path;
  return httpPart === 'body' ? 'The request body' : httpPart === 'querystring' ? 'The query string' : 'The request';
}

function describeOne(error: ErrorObject, httpPart: string | undefined): string {
  const path = fieldPath(error.instancePath);
  const custom = (error.parentSchema as { 'x-message'?: string } | undefined)?.['x-message'];
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required':
      return `${join(path, String(params.missingProperty))} is required`;
    case 'additionalProperties':
      return `${join(path, String(params.additionalProperty))} is not an allowed field`;
    case 'enum':
      return `${subject(path, httpPart)} must be one of: ${(params.allowedValues as unknown[]).filter((v) => v !== '').map(String).join(', ')}`;
    case 'type':
      if (httpPart !== 'body' && Array.isArray(error.data)) return `${subject(path, httpPart)} must be given only once`;
      return `${subject(path, httpPart)} must be ${article(String(params.type))}`;
    case 'uniqueItems':
      return `${subject(path, httpPart)} must not contain duplicates (items ${String(params.j)} and ${String(params.i)} are equal)`;
    case 'pattern':
      return custom ? `${subject(path, httpPart)} ${custom}` : `${subject(path, httpPart)} is not in the expected format`;
    default:
      return custom ? `${subject(path, httpPart)} ${custom}` : `${subject(path, httpPart)} ${error.message ?? 'is invalid'}`;
  }
}

/** One sentence naming the offending field; the most telling error wins. */
export function describe(errors: readonly ErrorObject[], httpPart?: string): string {
  const chosen = errors.find((e) => e.keyword === 'oneOf' || e.keyword === 'anyOf') ?? errors[0];
  return chosen ? describeOne(chosen, httpPart) : 'The request is invalid';
}
