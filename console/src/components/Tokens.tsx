import { useState } from 'preact/hooks';
import { api, ApiError, messageOf } from '../api';
import { fieldOfMessage } from '../field-errors';
import { useLoad } from '../hooks';
import { href } from '../router';
import type { ApiToken, Application, Collection } from '../types';
import { Alert, describedBy, Field, Loading } from './ui';

export function Tokens({ applicationId }: { applicationId: string }) {
  const base = `/applications/${applicationId}/tokens`;
  const app = useLoad(() => api<Application>('GET', `/applications/${applicationId}`), [applicationId]);
  const list = useLoad(() => api<Collection<ApiToken>>('GET', `${base}?sortField=creationDate&sortDirection=desc`), [base]);
  const [created, setCreated] = useState<ApiToken>();
  const [error, setError] = useState<string>();

  async function change(token: ApiToken, action: 'revoke' | 'delete') {
    setError(undefined);
    try {
      if (action === 'revoke') await api('PATCH', `${base}/${token.id}`, { status: 'inactive' });
      else await api('DELETE', `${base}/${token.id}`);
      await list.reload();
    } catch (err) {
      setError(messageOf(err));
    }
  }

  return (
    <main>
      <p class="crumbs">
        <a href={href.applications()}>Applications</a> / <a href={href.application(applicationId)}>{app.data?.name ?? 'Application'}</a> /
      </p>
      <h1>Application tokens</h1>
      {created?.token ? (
        <div class="alert alert-success" role="status">
          <p>
            Token “{created.name}” created. Copy it now: it is shown only once.
          </p>
          <label for="new-token">Token</label>
          <textarea id="new-token" readOnly rows={3} value={created.token} onFocus={(e) => e.currentTarget.select()} />
          <p class="actions">
            <button type="button" class="secondary" onClick={() => void navigator.clipboard?.writeText(created.token ?? '').catch(() => {})}>
              Copy
            </button>
            <button type="button" class="secondary" onClick={() => setCreated(undefined)}>
              Done
            </button>
          </p>
        </div>
      ) : null}
      {error ? <Alert>{error}</Alert> : null}
      {list.error ? <Alert>{list.error}</Alert> : null}
      {list.data === undefined && !list.error ? <Loading /> : null}
      {list.data?.items.length === 0 ? <p class="muted">No tokens yet.</p> : null}
      {list.data && list.data.items.length > 0 ? (
        <div class="scroll">
          <table class="list">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Status</th>
                <th scope="col">Scope</th>
                <th scope="col">Created</th>
                <th scope="col">Expires</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.data.items.map((token) => (
                <TokenRow key={token.id} token={token} onChange={(action) => void change(token, action)} />
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      <CreateToken
        base={base}
        onCreated={(token) => {
          setCreated(token);
          void list.reload();
        }}
      />
    </main>
  );
}

function TokenRow({ token, onChange }: { token: ApiToken; onChange: (action: 'revoke' | 'delete') => void }) {
  const [confirming, setConfirming] = useState(false);
  return (
    <tr data-token={token.id}>
      <td>{token.name}</td>
      <td>{token.status}</td>
      <td>{token.scope.join(', ')}</td>
      <td>{new Date(token.creationDate).toLocaleString()}</td>
      <td>{token.expirationDate ? new Date(token.expirationDate).toLocaleString() : 'never'}</td>
      <td>
        <span class="row-actions">
          {token.status === 'active' ? (
            <button type="button" class="small secondary" aria-label={`Revoke ${token.name}`} onClick={() => onChange('revoke')}>
              Revoke
            </button>
          ) : null}
          {confirming ? (
            <>
              <button type="button" class="small danger" aria-label={`Yes, delete ${token.name}`} onClick={() => onChange('delete')}>
                Yes, delete
              </button>
              <button type="button" class="small secondary" onClick={() => setConfirming(false)}>
                Cancel
              </button>
            </>
          ) : (
            <button type="button" class="small danger" aria-label={`Delete ${token.name}`} onClick={() => setConfirming(true)}>
              Delete
            </button>
          )}
        </span>
      </td>
    </tr>
  );
}

const TOKEN_FIELDS = new Set(['name', 'description', 'scope', 'expirationDate']);

function CreateToken({ base, onCreated }: { base: string; onCreated: (token: ApiToken) => void }) {
  const [name, setName] = useState('');
  const [scope, setScope] = useState('');
  const [expires, setExpires] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState<string>();

  async function submit(event: Event) {
    event.preventDefault();
    setErrors({});
    setError(undefined);
    const scopes = scope
      .split(/[\s,]+/)
      .map((s) => s.trim())
      .filter(Boolean);
    const expirationDate = expires ? new Date(expires) : undefined;
    try {
      const token = await api<ApiToken>('POST', base, {
        name,
        ...(scopes.length > 0 ? { scope: scopes } : {}),
        ...(expirationDate ? { expirationDate: Number.isNaN(expirationDate.getTime()) ? expires : expirationDate.toISOString() } : {}),
      });
      setName('');
      setScope('');
      setExpires('');
      onCreated(token);
    } catch (err) {
      const field = err instanceof ApiError && err.status === 400 ? fieldOfMessage(err.message, TOKEN_FIELDS) : undefined;
      if (field !== undefined) setErrors({ [field]: messageOf(err) });
      else setError(messageOf(err));
    }
  }

  return (
    <section aria-labelledby="new-token-heading">
      <h2 id="new-token-heading">New token</h2>
      <form onSubmit={(e) => void submit(e)} noValidate>
        <Field id="token-name" label="Name" error={errors.name} required>
          <input {...describedBy('token-name', errors.name)} value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </Field>
        <Field id="token-scope" label="Scopes" error={errors.scope} hint="Separated by spaces or commas; all.Application when empty">
          <input {...describedBy('token-scope', errors.scope, true)} value={scope} onInput={(e) => setScope(e.currentTarget.value)} />
        </Field>
        <Field id="token-expirationDate" label="Expires" error={errors.expirationDate} hint="Leave empty for a token that does not expire">
          <input type="datetime-local" {...describedBy('token-expirationDate', errors.expirationDate, true)} value={expires} onInput={(e) => setExpires(e.currentTarget.value)} />
        </Field>
        {error ? <Alert>{error}</Alert> : null}
        <button type="submit">Create token</button>
      </form>
    </section>
  );
}
