import { api } from '../api';
import { useLoad } from '../hooks';
import { href } from '../router';
import type { Application, Integration } from '../types';
import { IntegrationForm } from './IntegrationForm';
import { valuesOf } from './integration-body';
import { Alert, Loading } from './ui';

/** The create page (no integrationId) or the edit page of one integration. */
export function IntegrationEditor({ applicationId, integrationId }: { applicationId: string; integrationId?: string }) {
  const app = useLoad(() => api<Application>('GET', `/applications/${applicationId}`), [applicationId]);
  const existing = useLoad(
    () => (integrationId === undefined ? Promise.resolve(undefined) : api<Integration>('GET', `/applications/${applicationId}/integrations/${integrationId}`)),
    [applicationId, integrationId],
  );
  const integration = existing.data;
  return (
    <main>
      <p class="crumbs">
        <a href={href.applications()}>Applications</a> / <a href={href.application(applicationId)}>{app.data?.name ?? 'Application'}</a> /
        {integration ? (
          <>
            {' '}
            <a href={href.integration(applicationId, integration.id)}>{integration.name}</a> /
          </>
        ) : null}
      </p>
      <h1>{integrationId === undefined ? 'New integration' : `Edit ${integration?.name ?? 'integration'}`}</h1>
      {existing.error ? <Alert>{existing.error}</Alert> : null}
      {integrationId === undefined ? <IntegrationForm applicationId={applicationId} /> : integration ? <IntegrationForm applicationId={applicationId} existing={integration} initial={valuesOf(integration)} /> : existing.error ? null : <Loading />}
    </main>
  );
}
