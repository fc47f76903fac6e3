import type { ConnectorFactory } from '../connector.js';
import type { IntegrationType } from '../../domain/integration-types.js';
import { createMqttConnector } from './mqtt/connector.js';
import { createWebsocketConnector } from './websocket/connector.js';

/** The integration types the runtime can connect; the others are stored but stay idle. */
export const connectorFactories: Partial<Record<IntegrationType, ConnectorFactory>> = {
  mqtt: createMqttConnector,
  websocket: createWebsocketConnector,
};
