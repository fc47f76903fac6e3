import type { Sealer } from '../../security/sealer.js';
import { SECRET_FIELDS, type IntegrationType } from '../../domain/integration-types.js';

/**
 * Splits a config into what is stored plainly and the secret fields that get
 * sealed. Secret fields stay in the plain part as `null` placeholders so the
 * config comes back with its fields in the order they were given.
 */
export function splitConfig(type: IntegrationType, config: Record<string, unknown>): { plain: Record<string, unknown>; secret: Record<string, unknown> } {
  const plain: Record<string, unknown> = {};
  const secret: Record<string, unknown> = {};
  const secretFields = SECRET_FIELDS[type];
  for (const [field, value] of Object.entries(config)) {
    if (secretFields.includes(field)) {
      secret[field] = value;
      plain[field] = null;
    } else {
      plain[field] = value;
    }
  }
  return { plain, secret };
}

/** Seals the secret fields, bound to the integration id so they cannot be replayed onto another row. */
export function sealSecrets(sealer: Sealer, integrationId: string, secret: Record<string, unknown>): string | null {
  return Object.keys(secret).length === 0 ? null : sealer.seal(JSON.stringify(secret), `integration:${integrationId}`);
}

export function openSecrets(sealer: Sealer, integrationId: string, sealed: string | null): Record<string, unknown> {
  return sealed === null ? {} : (JSON.parse(sealer.open(sealed, `integration:${integrationId}`)) as Record<string, unknown>);
}

export function mergeConfig(plain: Record<string, unknown>, secret: Record<string, unknown>): Record<string, unknown> {
  const config: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(plain)) {
    const actual = value === null ? secret[field] : value;
    if (actual !== undefined && actual !== null) config[field] = actual;
  }
  return config;
}
