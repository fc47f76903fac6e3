import type { Store } from '../store/store.js';
import type { CheckpointStore } from './connectors/azure-event-hub/checkpoints.js';

/** Event Hubs checkpoints in Tributary's own store (SPEC §7): a changed namespace, hub or consumer group starts afresh. */
export function storeCheckpoints(store: Store): CheckpointStore {
  const sourceKey = (source: { namespace: string; hubName: string; consumerGroup: string }) => `${source.namespace}/${source.hubName}/${source.consumerGroup}`;
  return {
    load: (source) => store.checkpoints.load(source.integrationId, sourceKey(source)),
    save: (source, checkpoint) => store.checkpoints.save(source.integrationId, sourceKey(source), checkpoint),
  };
}
