import { useEffect, useState } from 'preact/hooks';

/** Pages live in the URL's hash (#/applications/…), so the server serves one file and reloads keep the page. */

export type Route =
  | { page: 'applications' }
  | { page: 'application'; applicationId: string }
  | { page: 'tokens'; applicationId: string }
  | { page: 'newIntegration'; applicationId: string }
  | { page: 'integration'; applicationId: string; integrationId: string }
  | { page: 'editIntegration'; applicationId: string; integrationId: string }
  | { page: 'notFound' };

const ID = '([0-9a-f]{24})';
const patterns: [RegExp, (m: string[]) => Route][] = [
  [/^\/?$/, () => ({ page: 'applications' })],
  [new RegExp(`^/applications/${ID}$`), (m) => ({ page: 'application', applicationId: m[1]! })],
  [new RegExp(`^/applications/${ID}/tokens$`), (m) => ({ page: 'tokens', applicationId: m[1]! })],
  [new RegExp(`^/applications/${ID}/integrations/new$`), (m) => ({ page: 'newIntegration', applicationId: m[1]! })],
  [new RegExp(`^/applications/${ID}/integrations/${ID}$`), (m) => ({ page: 'integration', applicationId: m[1]!, integrationId: m[2]! })],
  [new RegExp(`^/applications/${ID}/integrations/${ID}/edit$`), (m) => ({ page: 'editIntegration', applicationId: m[1]!, integrationId: m[2]! })],
];

export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, '');
  for (const [pattern, make] of patterns) {
    const m = pattern.exec(path);
    if (m) return make(m);
  }
  return { page: 'notFound' };
}

export const href = {
  applications: () => '#/',
  application: (applicationId: string) => `#/applications/${applicationId}`,
  tokens: (applicationId: string) => `#/applications/${applicationId}/tokens`,
  newIntegration: (applicationId: string) => `#/applications/${applicationId}/integrations/new`,
  integration: (applicationId: string, integrationId: string) => `#/applications/${applicationId}/integrations/${integrationId}`,
  editIntegration: (applicationId: string, integrationId: string) => `#/applications/${applicationId}/integrations/${integrationId}/edit`,
};

export function navigate(to: string): void {
  location.hash = to;
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const update = () => setRoute(parseRoute(location.hash));
    window.addEventListener('hashchange', update);
    return () => window.removeEventListener('hashchange', update);
  }, []);
  return route;
}
