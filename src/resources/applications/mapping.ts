import { links, paths } from '../../http/links.js';
import type { ApplicationRow } from '../../store/store.js';

export interface Summary {
  integrationCount: number;
  apiTokenCount: number;
}

/** Row → API resource. */
export function toApplication(row: ApplicationRow, summary: Summary | undefined, withLinks: boolean) {
  return {
    id: row.id,
    applicationId: row.id,
    creationDate: row.creationDate,
    lastUpdated: row.lastUpdated,
    ownerId: row.ownerId,
    ownerType: 'user' as const,
    name: row.name,
    ...(row.description !== null ? { description: row.description } : {}),
    ...row.attributes,
    ...(summary ? { summary } : {}),
    _type: 'application',
    ...links(withLinks, {
      self: paths.application(row.id),
      applications: paths.applications(),
      integrations: paths.integrations(row.id),
      apiTokens: paths.tokens(row.id),
    }),
  };
}
