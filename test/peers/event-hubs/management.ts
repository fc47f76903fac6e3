import rhea from 'rhea';
import type { Message } from 'rhea';
import type { Hub } from './hubs.js';
import { checkSasToken } from './sas.js';
import type { SharedAccessKey } from './sas.js';

/** The answer to a request on `$management` or `$cbs`: status in application properties, body a map. */
export interface Answer {
  readonly status: number;
  readonly description: string;
  readonly body?: unknown;
}

export interface Namespace {
  /** `sb://127.0.0.1:<port>/` */
  readonly endpoint: string;
  readonly keys: readonly SharedAccessKey[];
  readonly hubs: ReadonlyMap<string, Hub>;
}

export function notFound(namespace: Namespace, entity: string): string {
  return `The messaging entity '${namespace.endpoint}${entity}' could not be found. To know more visit https://aka.ms/sbResourceMgrExceptions.`;
}

/**
 * `READ` of `com.microsoft:eventhub` (ReadEventHubInformation) or of
 * `com.microsoft:partition`; the request carries its own SAS token for the
 * hub in `security_token`.
 */
export function answerManagement(request: Message, namespace: Namespace): Answer {
  const properties = (request.application_properties ?? {}) as Record<string, unknown>;
  const operation = properties['operation'];
  const name = textOf(properties['name']);
  if (operation !== 'READ') return { status: 400, description: `The operation '${String(operation)}' is not supported.` };
  const granted = checkSasToken(properties['security_token'], `${namespace.endpoint}${name}`, namespace.keys);
  if (typeof granted !== 'string') return granted;
  const hub = namespace.hubs.get(name);
  if (hub === undefined) return { status: 404, description: notFound(namespace, name) };
  const type = properties['type'];
  if (type === 'com.microsoft:eventhub') {
    return {
      status: 200,
      description: 'OK',
      body: {
        name: hub.name,
        type: 'com.microsoft:eventhub',
        created_at: rhea.types.wrap_timestamp(hub.createdAt.getTime()),
        partition_count: rhea.types.wrap_int(hub.partitions.size),
        partition_ids: [...hub.partitions.keys()],
        georeplication_factor: rhea.types.wrap_int(1),
      },
    };
  }
  if (type === 'com.microsoft:partition') {
    const partitionId = textOf(properties['partition']);
    const partition = hub.partitions.get(partitionId);
    if (partition === undefined) {
      return { status: 404, description: `The specified partition '${partitionId}' is invalid for EventHub '${hub.name}'.` };
    }
    const last = partition.events.at(-1);
    return {
      status: 200,
      description: 'OK',
      body: {
        name: hub.name,
        type: 'com.microsoft:partition',
        partition: partitionId,
        begin_sequence_number: rhea.types.wrap_long(0),
        last_enqueued_sequence_number: rhea.types.wrap_long(partition.lastSequenceNumber),
        last_enqueued_offset: last?.offset ?? '-1',
        last_enqueued_time_utc: rhea.types.wrap_timestamp(last?.enqueuedTime.getTime() ?? 0),
        is_partition_empty: partition.events.length === 0,
      },
    };
  }
  return { status: 400, description: `The type '${String(type)}' is not supported.` };
}

/** A request property that should be a string (or a number, for a partition id). */
export function textOf(value: unknown): string {
  return typeof value === 'string' || typeof value === 'number' ? String(value) : '';
}
