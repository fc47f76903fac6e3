import type { IntegrationStatus } from './integration-status.js';
import type { IntegrationType } from './integration-types.js';

/**
 * An integration as the runtime needs it: its config whole, secrets opened.
 * This is what the integration service hands to listeners of its changes.
 */
export interface IntegrationSpec {
  readonly id: string;
  readonly applicationId: string;
  readonly name: string;
  readonly integrationType: IntegrationType;
  readonly enabled: boolean;
  readonly topics: readonly string[];
  readonly config: Readonly<Record<string, unknown>>;
  /** The last status written, so a restart shows it until the new attempt resolves. */
  readonly status: IntegrationStatus;
}

export interface MqttConfig {
  clientId?: string;
  username?: string;
  password?: string;
  clean?: boolean;
  port: number;
  protocol: 'mqtt' | 'mqtts' | 'ws' | 'wss';
  host: string;
  privateKey?: string;
  certificate?: string;
  caCertificate?: string;
  disableSSLVerification?: boolean;
  protocolVersion?: '3.1.1' | '5';
}

export interface WebsocketConfig {
  url: string;
  disableSSLVerification?: boolean;
  username?: string;
  password?: string;
  privateKey?: string;
  certificate?: string;
  caCertificate?: string;
  headers?: { headerKey: string; headerValue: string }[];
}
