import { CONFIG_FIELDS, configKey, formatHeaders, parseHeaders } from '../config-fields';
import type { Config, Integration, IntegrationType } from '../types';

/** What the integration form edits: every value as its input holds it. */
export interface FormValues {
  name: string;
  integrationType: IntegrationType;
  topics: string;
  enabled: boolean;
  config: Record<string, string | boolean>;
}

export function emptyValues(type: IntegrationType = 'mqtt'): FormValues {
  const config: Record<string, string | boolean> = type === 'mqtt' ? { protocol: 'mqtt', port: '1883' } : {};
  for (const field of CONFIG_FIELDS[type]) if (field.defaultValue !== undefined) config[field.name] = field.defaultValue;
  return { name: '', integrationType: type, topics: '', enabled: true, config };
}

export function valuesOf(integration: Integration): FormValues {
  const stored: Config = integration[configKey(integration.integrationType)] ?? {};
  const config: Record<string, string | boolean> = {};
  for (const field of CONFIG_FIELDS[integration.integrationType]) {
    const value = stored[field.name];
    if (value === undefined || value === null) {
      if (field.defaultValue !== undefined) config[field.name] = field.defaultValue;
      continue;
    }
    if (field.kind === 'checkbox') config[field.name] = value === true;
    else if (field.kind === 'headers') config[field.name] = formatHeaders(value);
    else config[field.name] = typeof value === 'string' ? value : JSON.stringify(value);
  }
  return { name: integration.name, integrationType: integration.integrationType, topics: integration.topics.join('\n'), enabled: integration.enabled, config };
}

/**
 * The request body for the values. Empty inputs are left out; a number
 * input that does not hold a number is sent as typed, so the API's own
 * message says what is wrong with it.
 */
export function bodyOf(values: FormValues): Record<string, unknown> {
  const config: Config = {};
  for (const field of CONFIG_FIELDS[values.integrationType]) {
    const value = values.config[field.name];
    // An unticked box is left out unless the server would otherwise assume it ticked.
    if (value === undefined || value === '' || (value === false && field.defaultValue !== true)) continue;
    if (field.kind === 'number' && typeof value === 'string') {
      const n = Number(value);
      config[field.name] = value.trim() !== '' && Number.isFinite(n) ? n : value;
    } else if (field.kind === 'headers' && typeof value === 'string') {
      config[field.name] = parseHeaders(value);
    } else {
      config[field.name] = value;
    }
  }
  const topics = values.topics
    .split('\n')
    .map((t) => t.trim())
    .filter((t) => t !== '');
  return { name: values.name, integrationType: values.integrationType, topics, enabled: values.enabled, [configKey(values.integrationType)]: config };
}
