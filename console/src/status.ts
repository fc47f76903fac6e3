import type { Integration, State } from './types';

/** The connection state of an integration: `status.state` when the API gives it, else read from the four Losant fields. */
export function stateOf(integration: Pick<Integration, 'enabled' | 'status'>): State {
  const status = integration.status ?? {};
  if (status.state) return status.state;
  if (!integration.enabled) return 'disabled';
  if (status.nextAttempt !== undefined) return 'reconnecting';
  const connected = status.connectInfo?.ts ?? null;
  const disconnected = status.disconnectInfo?.ts ?? null;
  if (connected !== null && (disconnected === null || connected >= disconnected)) return 'connected';
  return 'connecting';
}

/** The last disconnect's reason, unless it is only "disabled" (the state word says that already). */
export function errorOf(integration: Pick<Integration, 'status'>): string | undefined {
  const error = integration.status?.disconnectInfo?.error;
  return error === 'disabled' ? undefined : error;
}

export function formatTime(ms: number | null | undefined): string {
  return ms === null || ms === undefined ? '' : new Date(ms).toLocaleString();
}

/** "in 12 s", "in 3 min" — for the next reconnect attempt. */
export function formatDue(ms: number | undefined, now: number): string {
  if (ms === undefined) return '';
  const seconds = Math.max(0, Math.round((ms - now) / 1000));
  return seconds < 120 ? `in ${seconds} s` : `in ${Math.round(seconds / 60)} min`;
}
