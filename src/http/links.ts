/** HAL-style `_links`, as Losant returns them. */
export type Links = Record<string, { href: string }>;

export function links(enabled: boolean, hrefs: Record<string, string>): { _links?: Links } {
  if (!enabled) return {};
  const out: Links = {};
  for (const [rel, href] of Object.entries(hrefs)) out[rel] = { href };
  return { _links: out };
}

export const paths = {
  applications: () => '/applications',
  application: (applicationId: string) => `/applications/${applicationId}`,
  tokens: (applicationId: string) => `/applications/${applicationId}/tokens`,
  token: (applicationId: string, tokenId: string) => `/applications/${applicationId}/tokens/${tokenId}`,
  integrations: (applicationId: string) => `/applications/${applicationId}/integrations`,
  integration: (applicationId: string, integrationId: string) => `/applications/${applicationId}/integrations/${integrationId}`,
};

export const linkSchema = {
  type: 'object',
  additionalProperties: { type: 'object', properties: { href: { type: 'string' } } },
} as const;
