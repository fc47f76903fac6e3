import { links, paths } from '../../http/links.js';
import type { IntegrationRow, IntegrationStatus } from '../../store/store.js';
import type { IntegrationSpec } from '../../domain/integration-spec.js';
import { CONFIG_KEYS } from '../../domain/integration-types.js';

/** Spec (config opened) + stored row → API resource. */
export function toIntegration(row: IntegrationRow, spec: IntegrationSpec, withLinks: boolean) {
  return {
    id: row.id,
    integrationId: row.id,
    applicationId: row.applicationId,
    creationDate: row.creationDate,
    lastUpdated: row.lastUpdated,
    name: row.name,
    ...(row.credentialName !== null ? { credentialName: row.credentialName } : {}),
    integrationType: spec.integrationType,
    enabled: row.enabled,
    topics: row.topics,
    [CONFIG_KEYS[spec.integrationType]]: spec.config,
    status: statusOf(row),
    _type: 'integration',
    ...links(withLinks, {
      self: paths.integration(row.applicationId, row.id),
      application: paths.application(row.applicationId),
      integrations: paths.integrations(row.applicationId),
    }),
  };
}

/**
 * The stored status with its `state` (SPEC §9) always there: a disabled
 * integration is `disabled` whatever was last written, and an enabled one the
 * runtime has not reported on yet is `connecting`.
 */
export function statusOf(row: Pick<IntegrationRow, 'enabled' | 'status'>): IntegrationStatus {
  if (!row.enabled) return row.status.state === 'disabled' ? row.status : { ...row.status, state: 'disabled' };
  return row.status.state === undefined || row.status.state === 'disabled' ? { ...row.status, state: 'connecting' } : row.status;
}
