import type { IntegrationSpec } from '../../../domain/integration-spec.js';

/** `particleConfig` as the API stores it (SPEC §7). */
export interface ParticleConfig {
  accessToken: string;
  deviceNameOrId?: string;
  productSlugOrId?: string;
  orgSlugOrId?: string;
}

export const DEFAULT_PARTICLE_API_URL = 'https://api.particle.io';

/** The integration's config; the API validated it against the type's schema before storing it. */
export function particleConfig(spec: IntegrationSpec): ParticleConfig {
  return spec.config as unknown as ParticleConfig;
}

/**
 * Particle's event stream for the configured scope:
 * `/v1/[orgs/{org}/][products/{product}/][devices/[{device}/]]events[/{prefix}]`.
 * Without a product the stream is the account's own devices (`/v1/devices/events`,
 * Particle's "mine"); a device narrows either.
 */
export function streamUrl(apiUrl: string, config: ParticleConfig, prefix: string): URL {
  let path = '/v1/';
  if (config.orgSlugOrId) path += `orgs/${encodeURIComponent(config.orgSlugOrId)}/`;
  if (config.productSlugOrId) path += `products/${encodeURIComponent(config.productSlugOrId)}/`;
  if (config.deviceNameOrId) path += `devices/${encodeURIComponent(config.deviceNameOrId)}/`;
  else if (!config.productSlugOrId) path += 'devices/';
  path += 'events';
  if (prefix) path += `/${encodeURIComponent(prefix)}`;
  return new URL(path, apiUrl);
}

/** Where a publish goes: a product's events when one is named, else the account's (`POST /v1/devices/events`). */
export function publishUrl(apiUrl: string, config: ParticleConfig): URL {
  const path = config.productSlugOrId ? `/v1/products/${encodeURIComponent(config.productSlugOrId)}/events` : '/v1/devices/events';
  return new URL(path, apiUrl);
}
