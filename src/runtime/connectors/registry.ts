import type { ConnectorFactory } from '../connector.js';
import type { IntegrationType } from '../../domain/integration-types.js';
import type { ConnectorCleanup } from '../runtime.js';
import { createAzureEventHubConnector } from './azure-event-hub/connector.js';
import { createGooglePubSubConnector } from './google-pub-sub/connector.js';
import { deleteGooglePubSubSubscriptions } from './google-pub-sub/subscriptions.js';
import { createMqttConnector } from './mqtt/connector.js';
import { createParticleConnector } from './particle/connector.js';
import { createSqsConnector } from './sqs/connector.js';
import { createWebsocketConnector } from './websocket/connector.js';

/** The integration types the runtime connects, each through its own connector. */
export const connectorFactories: Partial<Record<IntegrationType, ConnectorFactory>> = {
  mqtt: createMqttConnector,
  websocket: createWebsocketConnector,
  particle: createParticleConnector,
  sqs: createSqsConnector,
  googlePubSub: createGooglePubSubConnector,
  azureEventHub: createAzureEventHubConnector,
};

/** What a deleted integration leaves at its service: Pub/Sub subscriptions of its own (a disabled one keeps them). */
export const connectorCleanups: Partial<Record<IntegrationType, ConnectorCleanup>> = {
  googlePubSub: deleteGooglePubSubSubscriptions,
};
