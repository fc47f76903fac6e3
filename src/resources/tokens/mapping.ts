import { links, paths } from '../../http/links.js';
import type { TokenRow } from '../../store/store.js';

export function toApiToken(row: TokenRow, withLinks: boolean, token?: string) {
  return {
    id: row.id,
    apiTokenId: row.id,
    ownerId: row.applicationId,
    ownerType: 'application' as const,
    creatorId: row.creatorId,
    creatorType: row.creatorType,
    ...(row.creatorName !== null ? { creatorName: row.creatorName } : {}),
    name: row.name,
    ...(row.description !== null ? { description: row.description } : {}),
    creationDate: row.creationDate,
    lastUpdated: row.lastUpdated,
    ...(row.expirationDate !== null ? { expirationDate: row.expirationDate } : {}),
    scope: row.scope,
    status: row.status,
    ...(token !== undefined ? { token } : {}),
    _type: 'apiToken',
    ...links(withLinks, {
      self: paths.token(row.applicationId, row.id),
      application: paths.application(row.applicationId),
      apiTokens: paths.tokens(row.applicationId),
    }),
  };
}
