import { links, paths } from '../../http/links.js';
import type { IntegrationRow } from '../../store/store.js';
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
    status: row.status,
    _type: 'integration',
    ...links(withLinks, {
      self: paths.integration(row.applicationId, row.id),
      application: paths.application(row.applicationId),
      integrations: paths.integrations(row.applicationId),
    }),
  };
}
