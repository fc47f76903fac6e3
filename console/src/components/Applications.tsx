import { useState } from 'preact/hooks';
import { api, messageOf } from '../api';
import { useLoad } from '../hooks';
import { href, navigate } from '../router';
import type { Application, Collection } from '../types';
import { Alert, Field, Loading } from './ui';

export function Applications() {
  const list = useLoad(() => api<Collection<Application>>('GET', '/applications?sortField=name&perPage=1000'), []);
  return (
    <main>
      <h1>Applications</h1>
      {list.error ? <Alert>{list.error}</Alert> : null}
      {list.data === undefined && !list.error ? <Loading /> : null}
      {list.data?.items.length === 0 ? <p class="muted">No applications yet: create the first one below.</p> : null}
      {list.data && list.data.items.length > 0 ? (
        <ul class="cards">
          {list.data.items.map((app) => (
            <li key={app.id}>
              <a href={href.application(app.id)}>{app.name}</a>
              {app.description ? <p class="muted">{app.description}</p> : null}
            </li>
          ))}
        </ul>
      ) : null}
      <CreateApplication />
    </main>
  );
}

function CreateApplication() {
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [error, setError] = useState<string>();

  async function submit(event: Event) {
    event.preventDefault();
    setError(undefined);
    try {
      const created = await api<Application>('POST', '/applications', { name, ...(description ? { description } : {}) });
      navigate(href.application(created.id));
    } catch (err) {
      setError(messageOf(err));
    }
  }

  return (
    <section aria-labelledby="new-application">
      <h2 id="new-application">New application</h2>
      <form onSubmit={(e) => void submit(e)} noValidate>
        <Field id="app-name" label="Name" error={error?.startsWith('name') ? error : undefined}>
          <input id="app-name" value={name} onInput={(e) => setName(e.currentTarget.value)} aria-invalid={error?.startsWith('name') ? 'true' : undefined} aria-describedby={error?.startsWith('name') ? 'app-name-error' : undefined} />
        </Field>
        <Field id="app-description" label="Description">
          <input id="app-description" value={description} onInput={(e) => setDescription(e.currentTarget.value)} />
        </Field>
        {error && !error.startsWith('name') ? <Alert>{error}</Alert> : null}
        <button type="submit">Create application</button>
      </form>
    </section>
  );
}
