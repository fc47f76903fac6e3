import { EventEmitter } from 'node:events';
import type { IntegrationSpec } from './domain/integration-spec.js';

/**
 * Changes the services announce after they are stored. The runtime and the
 * auth cache listen; the services never know who is listening.
 */
export interface DomainEventMap {
  integrationCreated: [integration: IntegrationSpec];
  integrationUpdated: [before: IntegrationSpec, after: IntegrationSpec];
  integrationDeleted: [integration: { id: string; applicationId: string }];
  applicationDeleted: [application: { id: string; integrationIds: readonly string[] }];
  /** Integrations gone for good (deleted, or with their application), as they were: for cleanups at the service (Pub/Sub subscriptions). */
  integrationsRemoved: [integrations: readonly IntegrationSpec[]];
  tokenChanged: [token: { id: string; applicationId: string }];
}

export class DomainEvents extends EventEmitter<DomainEventMap> {
  constructor() {
    super({ captureRejections: false });
    // Every stream and the runtime subscribe; the default limit of 10 would warn.
    this.setMaxListeners(0);
  }
}
