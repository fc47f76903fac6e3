import fs from 'node:fs';
import path from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

/**
 * Losant's published JSON schemas (reference material kept beside the
 * project, never copied into it). Responses are validated against them when
 * they are present: LOSANT_SCHEMAS_DIR, or ../shared/reference/losant-schemas/current.
 */
const dir = process.env.LOSANT_SCHEMAS_DIR ?? path.resolve(import.meta.dirname, '../../../shared/reference/losant-schemas/current');

export const losantSchemasAvailable = fs.existsSync(path.join(dir, 'integration.json'));

const ajv = new Ajv({ strict: false, allErrors: true });
addFormats(ajv);
const cache = new Map<string, ValidateFunction>();

/** Validates `value` against Losant's schema `name` (e.g. 'integration'); returns the errors, or [] when valid or unavailable. */
export function losantSchemaErrors(name: string, value: unknown): string[] {
  if (!losantSchemasAvailable) return [];
  let validate = cache.get(name);
  if (!validate) {
    const schema = JSON.parse(fs.readFileSync(path.join(dir, `${name}.json`), 'utf8')) as Record<string, unknown>;
    delete schema.$schema;
    validate = ajv.compile(schema);
    cache.set(name, validate);
  }
  return validate(value) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''}`);
}
