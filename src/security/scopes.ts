/**
 * Scope lists per endpoint, following Losant's naming. An endpoint accepts a
 * request when the token holds at least one of the scopes it lists.
 */

const READ_WIDE = ['all.Application', 'all.Application.read', 'all.Organization', 'all.Organization.read', 'all.User', 'all.User.read'];
const WRITE_WIDE = ['all.Application', 'all.Organization', 'all.User'];

/** `resource.action` endpoints of an application's child resources. */
export function scopesFor(resource: string, action: string, access: 'read' | 'write'): readonly string[] {
  return [...(access === 'read' ? READ_WIDE : WRITE_WIDE), `${resource}.*`, `${resource}.${action}`];
}

export const SCOPES = {
  applications: {
    get: ['all.Organization', 'all.Organization.read', 'all.User', 'all.User.cli', 'all.User.read', 'applications.*', 'applications.get'],
    post: ['all.Organization', 'all.User', 'applications.*', 'applications.post'],
  },
  application: {
    get: ['all.Application', 'all.Application.cli', 'all.Application.read', 'all.Organization', 'all.Organization.read', 'all.User', 'all.User.cli', 'all.User.read', 'application.*', 'application.get'],
    patch: ['all.Application', 'all.Application.cli', 'all.Organization', 'all.User', 'all.User.cli', 'application.*', 'application.patch'],
    delete: scopesFor('application', 'delete', 'write'),
  },
  applicationApiTokens: {
    get: scopesFor('applicationApiTokens', 'get', 'read'),
    post: scopesFor('applicationApiTokens', 'post', 'write'),
  },
  applicationApiToken: {
    get: scopesFor('applicationApiToken', 'get', 'read'),
    patch: scopesFor('applicationApiToken', 'patch', 'write'),
    delete: scopesFor('applicationApiToken', 'delete', 'write'),
  },
  integrations: {
    get: scopesFor('integrations', 'get', 'read'),
    post: scopesFor('integrations', 'post', 'write'),
    messageStream: scopesFor('integrations', 'messageStream', 'read'),
    /** SPEC §9: as GET …/integrations. */
    statusStream: scopesFor('integrations', 'get', 'read'),
    /** SPEC §9: as POST …/integrations. */
    probe: scopesFor('integrations', 'post', 'write'),
  },
  integration: {
    get: scopesFor('integration', 'get', 'read'),
    patch: scopesFor('integration', 'patch', 'write'),
    delete: scopesFor('integration', 'delete', 'write'),
    messageStream: scopesFor('integration', 'messageStream', 'read'),
    events: scopesFor('integration', 'events', 'read'),
    messages: scopesFor('integration', 'messages', 'read'),
    publish: scopesFor('integration', 'publish', 'write'),
  },
} as const;

/** Scopes that reach everything a token could be given. */
const ALL_REACHING = ['all.Application', 'all.User', 'all.Organization'];

/**
 * Whether a holder of `held` may hand out `requested`: it holds it, holds a
 * wildcard over its resource (`integrations.*` covers `integrations.get`), or
 * holds an all-reaching scope. `.read` variants are covered by their full scope.
 */
export function covers(held: readonly string[], requested: string): boolean {
  if (held.includes(requested) || held.some((s) => ALL_REACHING.includes(s))) return true;
  const dot = requested.indexOf('.');
  if (dot > 0 && held.includes(`${requested.slice(0, dot)}.*`)) return true;
  return requested.endsWith('.read') && held.includes(requested.slice(0, -'.read'.length));
}

export function holdsAny(held: readonly string[], accepted: readonly string[]): boolean {
  for (const scope of held) if (accepted.includes(scope)) return true;
  return false;
}

/**
 * Scope names an application token may carry: Losant's application-level names
 * (`all.Application`, `all.Application.read`, `all.Device`, `resource.*`,
 * `resource.action`). User- and organization-wide scopes are refused, since an
 * application token must never reach beyond its application.
 */
export const APPLICATION_SCOPE_PATTERN = '^(all\\.(Application|Device)(\\.(read|cli|bounded))?|[a-z][A-Za-z]{0,63}\\.(\\*|[a-z][A-Za-z]{0,63}))$';
