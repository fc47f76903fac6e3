import { useCallback, useState } from 'preact/hooks';
import { api, messageOf } from '../api';
import { TYPE_LABELS } from '../config-fields';
import { useLoad, useNow } from '../hooks';
import { useLiveStatus } from '../live-status';
import { href, navigate } from '../router';
import { errorOf, formatDue, formatTime, stateOf } from '../status';
import type { Application, Integration, IntegrationStatus } from '../types';
import { History } from './History';
import { LiveTail } from './LiveTail';
import { PublishForm } from './PublishForm';
import { Alert, Loading, StatusLight } from './ui';

export function IntegrationPage({ applicationId, integrationId }: { applicationId: string; integrationId: string }) {
  const path = `/applications/${applicationId}/integrations/${integrationId}`;
  const app = useLoad(() => api<Application>('GET', `/applications/${applicationId}`), [applicationId]);
  const loaded = useLoad(() => api<Integration>('GET', path), [path]);
  const { setData, reload } = loaded;
  const onStatus = useCallback(
    (id: string, status: IntegrationStatus) => {
      if (id === integrationId) setData((current) => current && { ...current, status, enabled: status.state === undefined ? current.enabled : status.state !== 'disabled' });
    },
    [integrationId, setData],
  );
  useLiveStatus(applicationId, { onStatus, poll: reload });
  const integration = loaded.data;

  return (
    <main>
      <p class="crumbs">
        <a href={href.applications()}>Applications</a> / <a href={href.application(applicationId)}>{app.data?.name ?? 'Application'}</a> /
      </p>
      <h1>{integration?.name ?? 'Integration'}</h1>
      {loaded.error ? <Alert>{loaded.error}</Alert> : null}
      {integration === undefined && !loaded.error ? <Loading /> : null}
      {integration ? (
        <>
          <Summary integration={integration} />
          <Actions integration={integration} onChange={(i) => setData(() => i)} />
          <LiveTail key={integrationId} path={path} />
          <PublishForm path={path} />
          <History path={path} since={`${integration.status?.connectInfo?.ts ?? ''}/${integration.status?.disconnectInfo?.ts ?? ''}`} />
        </>
      ) : null}
    </main>
  );
}

function Summary({ integration }: { integration: Integration }) {
  const status = integration.status ?? {};
  const now = useNow(status.nextAttempt !== undefined);
  const error = errorOf(integration);
  return (
    <dl class="summary">
      <dt>Status</dt>
      <dd>
        <StatusLight state={stateOf(integration)} />
      </dd>
      <dt>Type</dt>
      <dd>{TYPE_LABELS[integration.integrationType] ?? integration.integrationType}</dd>
      <dt>Topics</dt>
      <dd>{integration.topics.length > 0 ? integration.topics.map((t) => <code key={t}>{t}</code>) : <span class="muted">none</span>}</dd>
      <dt>Last connected</dt>
      <dd>{formatTime(status.connectInfo?.ts) || <span class="muted">never</span>}</dd>
      <dt>Last disconnected</dt>
      <dd>{formatTime(status.disconnectInfo?.ts) || <span class="muted">never</span>}</dd>
      {error ? (
        <>
          <dt>Error</dt>
          <dd class="error-text">{error}</dd>
        </>
      ) : null}
      {status.nextAttempt !== undefined ? (
        <>
          <dt>Next attempt</dt>
          <dd>
            {formatDue(status.nextAttempt, now)} ({formatTime(status.nextAttempt)})
          </dd>
        </>
      ) : null}
      <dt>Last sign of life</dt>
      <dd>{formatTime(status.lastKeepAlive) || <span class="muted">none</span>}</dd>
      {status.node !== undefined ? (
        <>
          <dt>Node</dt>
          <dd>
            <code>{status.node}</code>
          </dd>
        </>
      ) : null}
    </dl>
  );
}

function Actions({ integration, onChange }: { integration: Integration; onChange: (i: Integration) => void }) {
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState<string>();
  const path = `/applications/${integration.applicationId}/integrations/${integration.id}`;

  async function toggle() {
    setError(undefined);
    try {
      onChange(await api<Integration>('PATCH', path, { enabled: !integration.enabled }));
    } catch (err) {
      setError(messageOf(err));
    }
  }

  async function remove() {
    setError(undefined);
    try {
      await api('DELETE', path);
      navigate(href.application(integration.applicationId));
    } catch (err) {
      setError(messageOf(err));
    }
  }

  return (
    <div class="actions">
      <a class="button" href={href.editIntegration(integration.applicationId, integration.id)}>
        Edit
      </a>
      <button type="button" class="secondary" onClick={() => void toggle()}>
        {integration.enabled ? 'Disable' : 'Enable'}
      </button>
      {confirming ? (
        <span role="group" aria-label="Confirm deletion" class="confirm">
          Delete “{integration.name}” and close its connection?{' '}
          <button type="button" class="danger" onClick={() => void remove()}>
            Yes, delete
          </button>{' '}
          <button type="button" class="secondary" onClick={() => setConfirming(false)}>
            Cancel
          </button>
        </span>
      ) : (
        <button type="button" class="danger" onClick={() => setConfirming(true)}>
          Delete
        </button>
      )}
      {error ? <Alert>{error}</Alert> : null}
    </div>
  );
}
