import { newId } from '../../../src/lib/ids.js';
import type { IntegrationSpec } from '../../../src/domain/integration-spec.js';
import type { ParticleConfig } from '../../../src/runtime/connectors/particle/config.js';

export const PARTICLE_TEST_TOKEN = 'particle-test-token';

/** A `particle` integration with the peer's token. */
export function particleSpec(topics: readonly string[] = [], config: Partial<ParticleConfig> = {}): IntegrationSpec {
  const base: ParticleConfig = { accessToken: PARTICLE_TEST_TOKEN };
  return { id: newId(), applicationId: newId(), name: 'test', integrationType: 'particle', enabled: true, topics, config: { ...base, ...config }, status: {} };
}
