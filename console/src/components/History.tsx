import { useEffect } from 'preact/hooks';
import { api } from '../api';
import { useLoad } from '../hooks';
import { formatTime } from '../status';
import type { Collection, ConnectionEvent } from '../types';
import { Alert } from './ui';

const SETTLE_MS = 1500;

/** The integration's connection history, newest first; read again whenever `since` (the last connect or disconnect) changes. */
export function History({ path, since }: { path: string; since: string }) {
  const events = useLoad(() => api<Collection<ConnectionEvent>>('GET', `${path}/events?perPage=50`), [path, since]);
  const { reload } = events;
  // The event behind a status change is written a moment after the status is reported: read again shortly.
  useEffect(() => {
    const timer = window.setTimeout(() => void reload(), SETTLE_MS);
    return () => window.clearTimeout(timer);
  }, [since, reload]);
  return (
    <section aria-labelledby="history-heading">
      <h2 id="history-heading">Connection history</h2>
      <p class="actions">
        <button type="button" class="secondary" onClick={() => void events.reload()}>
          Refresh
        </button>
      </p>
      {events.error ? <Alert>{events.error}</Alert> : null}
      {events.data && events.data.items.length === 0 ? <p class="muted">Nothing yet.</p> : null}
      {events.data && events.data.items.length > 0 ? (
        <div class="scroll">
          <table class="list">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Event</th>
                <th scope="col">Detail</th>
              </tr>
            </thead>
            <tbody>
              {events.data.items.map((e) => (
                <tr key={e.id}>
                  <td>{formatTime(e.ts)}</td>
                  <td>{e.type}</td>
                  <td>{e.message ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </section>
  );
}
