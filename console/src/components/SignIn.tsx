import { useState } from 'preact/hooks';
import { api, messageOf } from '../api';
import { setToken } from '../session';
import { Alert, Field } from './ui';

export function SignIn({ notice }: { notice?: string | undefined }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  async function submit(event: Event) {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const { token } = await api<{ token: string }>('POST', '/auth/user', { email, password });
      setToken(token);
    } catch (err) {
      setError(messageOf(err));
      setBusy(false);
    }
  }

  return (
    <main class="narrow">
      <h1>Sign in</h1>
      {notice && !error ? <Alert kind="info">{notice}</Alert> : null}
      {error ? <Alert>{error}</Alert> : null}
      <form onSubmit={(e) => void submit(e)}>
        <Field id="email" label="Email">
          <input id="email" type="email" autocomplete="username" value={email} onInput={(e) => setEmail(e.currentTarget.value)} required />
        </Field>
        <Field id="password" label="Password">
          <input id="password" type="password" autocomplete="current-password" value={password} onInput={(e) => setPassword(e.currentTarget.value)} required />
        </Field>
        <button type="submit" disabled={busy}>
          Sign in
        </button>
      </form>
    </main>
  );
}
