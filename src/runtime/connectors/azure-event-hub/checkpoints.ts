import type { ConnectorOptions } from '../../connector.js';

/**
 * Where an Event Hubs connector keeps how far it has read: Tributary's own
 * store, not blob storage (SPEC §7). The connector writes a partition's
 * checkpoint only once every message up to it was retained (acknowledged).
 */
export interface CheckpointStore {
  /** The checkpoints kept for `source`, at most one per partition. */
  load(source: CheckpointSource): Promise<readonly PartitionCheckpoint[]>;
  /** Replaces the checkpoint of `checkpoint.partitionId`. Calls for one partition come one after the other, in order. */
  save(source: CheckpointSource, checkpoint: PartitionCheckpoint): Promise<void>;
}

/** What a checkpoint belongs to: a changed hub or consumer group starts afresh. */
export interface CheckpointSource {
  readonly integrationId: string;
  /** The fully qualified namespace, e.g. `tributary.servicebus.windows.net` (or `127.0.0.1` for a local endpoint). */
  readonly namespace: string;
  readonly hubName: string;
  readonly consumerGroup: string;
}

export interface PartitionCheckpoint {
  readonly partitionId: string;
  /** The last event retained; reading resumes after it. -1: the partition was empty, read from its start. */
  readonly sequenceNumber: number;
  /** That event's offset as the service gave it ('-1' with sequence number -1). */
  readonly offset: string;
}

/** ConnectorOptions as the Event Hubs connector takes them: with the checkpoint store. */
export interface EventHubConnectorOptions extends ConnectorOptions {
  readonly checkpoints?: CheckpointStore;
}

/** Checkpoints in memory: for tests, and for a runtime that did not hand a store over (a restart then starts from the latest event again). */
export class MemoryCheckpointStore implements CheckpointStore {
  readonly #kept = new Map<string, Map<string, PartitionCheckpoint>>();

  async load(source: CheckpointSource): Promise<readonly PartitionCheckpoint[]> {
    return [...(this.#kept.get(keyOf(source))?.values() ?? [])];
  }

  async save(source: CheckpointSource, checkpoint: PartitionCheckpoint): Promise<void> {
    const key = keyOf(source);
    let partitions = this.#kept.get(key);
    if (partitions === undefined) this.#kept.set(key, (partitions = new Map<string, PartitionCheckpoint>()));
    partitions.set(checkpoint.partitionId, checkpoint);
  }
}

function keyOf(source: CheckpointSource): string {
  return JSON.stringify([source.integrationId, source.namespace, source.hubName, source.consumerGroup]);
}
