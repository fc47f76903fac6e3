import { newId } from '../../../src/lib/ids.js';
import { createAzureEventHubConnector } from '../../../src/runtime/connectors/azure-event-hub/connector.js';
import type { PeerContractTarget } from '../contract-targets.js';
import { within } from '../../support/wait.js';
import { startEventHubsPeer } from './server.js';

/**
 * Event Hubs for the connector contract suite: a fresh one-partition hub per
 * spec (one partition keeps the suite's order checks meaningful). Topics mean
 * nothing to Event Hubs; messages are reported under the hub's name, and what
 * the peer "gets" is what clients sent to the hub.
 */
export async function eventHubsTarget(): Promise<PeerContractTarget> {
  const peer = await startEventHubsPeer();
  let hub = '';
  return {
    factory: createAzureEventHubConnector,
    hasTopics: false,
    spec: (topics) => {
      hub = `contract-${newId()}`;
      peer.createHub(hub, 1);
      const config = { hubName: hub, consumerGroup: '$default', connectionString: peer.connectionString(hub) };
      return { id: newId(), applicationId: newId(), name: 'contract', integrationType: 'azureEventHub', enabled: true, topics, config, status: {} };
    },
    reportedTopic: () => hub,
    send: async (_topic, payload) => {
      peer.append(hub, '0', { body: payload });
    },
    listen: async () => {
      const name = hub;
      let index = peer.sent(name).length;
      const next = async () => {
        while (peer.sent(name).length <= index) await new Promise((resolve) => setTimeout(resolve, 10));
        return String(peer.sent(name)[index++]!.body);
      };
      return { next: () => within(next(), `an event sent to ${name}`) };
    },
    drop: async () => peer.dropConnections(),
    close: () => peer.stop(),
  };
}
