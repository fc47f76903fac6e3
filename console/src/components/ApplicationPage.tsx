import { useCallback, useState } from 'preact/hooks';
import { api, messageOf, withQuery } from '../api';
import { useLoad, useNow } from '../hooks';
import { useLiveStatus } from '../live-status';
import { href } from '../router';
import { errorOf, formatDue, stateOf } from '../status';
import type { Application, Collection, Integration, IntegrationStatus } from '../types';
import { TYPE_LABELS } from '../config-fields';
import { FilterForm, Pager, SortHeader, toQuery, type ListQuery } from './ListControls';
import { Alert, Loading, StatusLight } from './ui';

const FILTERS: readonly [string, string][] = [
  ['name', 'Name'],
  ['integrationType', 'Type'],
];

export function ApplicationPage({ applicationId }: { applicationId: string }) {
  const app = useLoad(() => api<Application>('GET', `/applications/${applicationId}`), [applicationId]);
  return (
    <main>
      <p class="crumbs">
        <a href={href.applications()}>Applications</a> /
      </p>
      <h1>{app.data?.name ?? 'Application'}</h1>
      {app.error ? <Alert>{app.error}</Alert> : null}
      <p class="actions">
        <a class="button" href={href.newIntegration(applicationId)}>
          New integration
        </a>
        <a href={href.tokens(applicationId)}>Application tokens</a>
      </p>
      <Integrations applicationId={applicationId} />
    </main>
  );
}

function Integrations({ applicationId }: { applicationId: string }) {
  const [query, setQuery] = useState<ListQuery>({ sortField: 'name', sortDirection: 'asc', page: 0, perPage: 25, filterField: 'name', filter: '' });
  const [actionError, setActionError] = useState<string>();
  const list = useLoad(() => api<Collection<Integration>>('GET', withQuery(`/applications/${applicationId}/integrations`, toQuery(query))), [applicationId, query]);
  const { setData, reload } = list;

  const onStatus = useCallback(
    (integrationId: string, status: IntegrationStatus) =>
      setData((current) => current && { ...current, items: current.items.map((i) => (i.id === integrationId ? { ...i, status, enabled: status.state === undefined ? i.enabled : status.state !== 'disabled' } : i)) }),
    [setData],
  );
  useLiveStatus(applicationId, { onStatus, poll: reload });
  const items = list.data?.items ?? [];
  const now = useNow(items.some((i) => i.status?.nextAttempt !== undefined));

  async function toggle(integration: Integration) {
    setActionError(undefined);
    try {
      const updated = await api<Integration>('PATCH', `/applications/${applicationId}/integrations/${integration.id}`, { enabled: !integration.enabled });
      setData((current) => current && { ...current, items: current.items.map((i) => (i.id === updated.id ? updated : i)) });
    } catch (err) {
      setActionError(messageOf(err));
    }
  }

  return (
    <section aria-labelledby="integrations-heading">
      <h2 id="integrations-heading">Integrations</h2>
      <FilterForm fields={FILTERS} query={query} onChange={setQuery} label="Filter integrations" />
      {list.error ? <Alert>{list.error}</Alert> : null}
      {actionError ? <Alert>{actionError}</Alert> : null}
      {list.data === undefined && !list.error ? <Loading /> : null}
      {list.data && items.length === 0 ? <p class="muted">{query.filter ? 'No integration matches the filter.' : 'No integrations yet.'}</p> : null}
      {items.length > 0 ? (
        <div class="scroll">
          <table class="list">
            <thead>
              <tr>
                <SortHeader field="name" label="Name" query={query} onChange={setQuery} />
                <SortHeader field="integrationType" label="Type" query={query} onChange={setQuery} />
                <th scope="col">Status</th>
                <th scope="col">Last error</th>
                <th scope="col">Next attempt</th>
                <SortHeader field="lastUpdated" label="Updated" query={query} onChange={setQuery} />
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {items.map((integration) => (
                <tr key={integration.id} data-integration={integration.id}>
                  <td>
                    <a href={href.integration(applicationId, integration.id)}>{integration.name}</a>
                  </td>
                  <td>{TYPE_LABELS[integration.integrationType] ?? integration.integrationType}</td>
                  <td>
                    <StatusLight state={stateOf(integration)} />
                  </td>
                  <td class="error-text">{errorOf(integration) ?? ''}</td>
                  <td>{formatDue(integration.status?.nextAttempt, now)}</td>
                  <td>{new Date(integration.lastUpdated).toLocaleString()}</td>
                  <td>
                    <button type="button" class="small" onClick={() => void toggle(integration)} aria-label={`${integration.enabled ? 'Disable' : 'Enable'} ${integration.name}`}>
                      {integration.enabled ? 'Disable' : 'Enable'}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {list.data && list.data.totalCount > 0 ? <Pager query={query} totalCount={list.data.totalCount} onChange={setQuery} noun="integrations" /> : null}
    </section>
  );
}
