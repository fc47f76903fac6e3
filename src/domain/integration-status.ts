/**
 * What the runtime reports about an integration's connection: the four
 * Losant fields, plus `state` (SPEC §9) and, in a cluster, the `node` that
 * holds the connection (SPEC §8). Times are milliseconds since the epoch.
 */
export type IntegrationState = 'connecting' | 'connected' | 'reconnecting' | 'disabled' | 'unsupported';

export const INTEGRATION_STATES: readonly IntegrationState[] = ['connecting', 'connected', 'reconnecting', 'disabled', 'unsupported'];

export interface IntegrationStatus {
  connectInfo?: { ts: number | null };
  disconnectInfo?: { ts: number | null; error?: string };
  lastKeepAlive?: number;
  nextAttempt?: number;
  state?: IntegrationState;
  node?: string;
}
