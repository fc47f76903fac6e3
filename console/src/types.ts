/** The API's resources, as far as the console reads them. */

export interface Collection<T> {
  items: T[];
  count: number;
  totalCount: number;
  page?: number;
  perPage?: number;
}

export interface Application {
  id: string;
  name: string;
  description?: string;
  creationDate: string;
}

export type State = 'connecting' | 'connected' | 'reconnecting' | 'disabled' | 'unsupported';

export interface IntegrationStatus {
  state?: State;
  connectInfo?: { ts: number | null };
  disconnectInfo?: { ts: number | null; error?: string };
  lastKeepAlive?: number;
  nextAttempt?: number;
  /** In a cluster, the node holding the connection. */
  node?: string;
}

export const INTEGRATION_TYPES = ['mqtt', 'websocket', 'particle', 'sqs', 'googlePubSub', 'azureEventHub'] as const;
export type IntegrationType = (typeof INTEGRATION_TYPES)[number];

export type Config = Record<string, unknown>;

export interface Integration {
  id: string;
  applicationId: string;
  name: string;
  integrationType: IntegrationType;
  enabled: boolean;
  topics: string[];
  creationDate: string;
  lastUpdated: string;
  status?: IntegrationStatus;
  [configKey: `${string}Config`]: Config | undefined;
}

export interface ConnectionEvent {
  id: string;
  ts: number;
  type: string;
  message?: string;
}

export interface ApiToken {
  id: string;
  name: string;
  description?: string;
  scope: string[];
  status: 'active' | 'inactive';
  creationDate: string;
  expirationDate?: string;
  token?: string;
}

export interface ProbeResult {
  success: boolean;
  latencyMs?: number;
  error?: string;
}
