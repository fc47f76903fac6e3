import { once } from 'node:events';
import type { Server, Socket } from 'node:net';
import rhea from 'rhea';
import type { Connection, EventContext, Message, Sender } from 'rhea';
import { Hub } from './hubs.js';
import type { NewEvent, Partition, StoredEvent } from './hubs.js';
import { formatOf, mirrorTermini, offerMaxMessageSize, remoteSource, remoteTarget, replyLink } from './links.js';
import { answerManagement, notFound, textOf } from './management.js';
import type { Answer, Namespace } from './management.js';
import { firstIndex } from './positions.js';
import { checkSasToken, normalise } from './sas.js';
import type { SharedAccessKey } from './sas.js';
import { messageOf, recordOf, recordsFromClient, selectorOf } from './wire.js';

const MAX_MESSAGE_SIZE = 1024 * 1024;
const RECEIVER_ADDRESS = /^([^/]+)\/ConsumerGroups\/([^/]+)\/Partitions\/([^/]+)$/i;
const SENDER_ADDRESS = /^([^/]+)(?:\/Partitions\/([^/]+))?$/i;

/** An AMQP 1.0 endpoint that serves the official Event Hubs SDKs (see README.md). */
export interface EventHubsPeer {
  readonly port: number;
  /** `sb://127.0.0.1:<port>/` */
  readonly endpoint: string;
  /** A connection string for `hubName` (the emulator form: plain AMQP on this port); `key` overrides the right key. */
  connectionString(hubName: string, key?: string): string;
  createHub(name: string, partitionCount: number, consumerGroups?: readonly string[]): void;
  /** Appends events to a partition as if producers had sent them. */
  append(hubName: string, partitionId: string, ...events: NewEvent[]): StoredEvent[];
  /** Every event a partition keeps, in order. */
  events(hubName: string, partitionId: string): readonly StoredEvent[];
  /** How many receivers are attached to a partition now (any consumer group). */
  receivers(hubName: string, partitionId: string): number;
  /** What clients sent to the hub, over all partitions (by partition, then sequence number). */
  sent(hubName: string): StoredEvent[];
  /** Makes a partition fail (receivers detached and refused, sends rejected) with `description`; null heals it. */
  failPartition(hubName: string, partitionId: string, description: string | null): void;
  /** Ends every open connection, as a network fault would; the peer keeps serving. */
  dropConnections(): void;
  /** Stops reading from every open connection: the peer goes silent, sockets stay open. */
  freeze(): void;
  stop(): Promise<void>;
}

interface ConnectionState {
  /** Normalised resources the connection put a valid token for. */
  readonly granted: Set<string>;
}

interface Subscription {
  readonly sender: Sender;
  readonly partition: Partition;
  next: number;
  readonly unwatch: () => void;
}

export async function startEventHubsPeer(key: SharedAccessKey = { name: 'RootManageSharedAccessKey', key: 'peer-secret' }): Promise<EventHubsPeer> {
  const hubs = new Map<string, Hub>();
  const states = new WeakMap<Connection, ConnectionState>();
  const subscriptions = new Map<Sender, Subscription>();
  const sockets = new Set<Socket>();
  const container = rhea.create_container({ id: 'tributary-event-hubs-peer' });
  const server: Server = container.listen({ port: 0, host: '127.0.0.1', receiver_options: { autoaccept: false, credit_window: 100 } } as never);
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  const namespace: Namespace = { endpoint: `sb://127.0.0.1:${port}/`, keys: [key], hubs };

  const stateOf = (connection: Connection): ConnectionState => {
    let state = states.get(connection);
    if (state === undefined) states.set(connection, (state = { granted: new Set() }));
    return state;
  };
  const authorised = (connection: Connection, address: string): boolean => {
    const resource = normalise(`${namespace.endpoint}${address}`);
    for (const granted of stateOf(connection).granted) if (resource === granted || resource.startsWith(`${granted}/`)) return true;
    return false;
  };
  const unauthorised = (address: string, claim: string) => ({
    condition: 'amqp:unauthorized-access',
    description: `Unauthorized access. '${claim}' claim(s) are required to perform this operation. Resource: '${namespace.endpoint}${address}'.`,
  });
  const partitionFailure = (description: string) => ({ condition: 'com.microsoft:entity-disabled', description });

  const pump = (subscription: Subscription): void => {
    const { sender, partition } = subscription;
    while (sender.sendable() && subscription.next < partition.events.length) {
      sender.send(messageOf(partition.events[subscription.next++]!));
    }
  };
  const unsubscribe = (sender: Sender): void => {
    subscriptions.get(sender)?.unwatch();
    subscriptions.delete(sender);
  };

  container.on('sender_open', (context: EventContext) => {
    const sender = context.sender!;
    mirrorTermini(sender);
    const address = remoteSource(sender)?.address ?? '';
    if (address === '$cbs' || address.endsWith('$management')) return;
    const refuse = (condition: string, description: string) => sender.close({ condition, description });
    const match = RECEIVER_ADDRESS.exec(address);
    const hub = match ? hubs.get(match[1]!) : undefined;
    if (!match || hub === undefined) return refuse('amqp:not-found', notFound(namespace, match?.[1] ?? address));
    if (!authorised(context.connection, address)) return sender.close(unauthorised(address, 'Listen'));
    if (!hub.consumerGroups.has(match[2]!)) return refuse('amqp:not-found', notFound(namespace, `${hub.name}/ConsumerGroups/${match[2]!}`));
    const partition = hub.partitions.get(match[3]!);
    if (partition === undefined) return refuse('amqp:not-found', `The specified partition '${match[3]!}' is invalid for EventHub '${hub.name}'.`);
    if (partition.failure !== undefined) return sender.close(partitionFailure(partition.failure));
    const start = firstIndex(selectorOf(remoteSource(sender)?.filter), partition);
    if (typeof start === 'string') return refuse('com.microsoft:argument-out-of-range', start);
    const subscription: Subscription = { sender, partition, next: start, unwatch: partition.watch(() => pump(subscription)) };
    subscriptions.set(sender, subscription);
  });
  container.on('sendable', (context: EventContext) => {
    const subscription = subscriptions.get(context.sender!);
    if (subscription !== undefined) pump(subscription);
  });
  container.on('sender_close', (context: EventContext) => unsubscribe(context.sender!));

  container.on('receiver_open', (context: EventContext) => {
    const receiver = context.receiver!;
    mirrorTermini(receiver);
    offerMaxMessageSize(receiver, MAX_MESSAGE_SIZE);
    const address = remoteTarget(receiver)?.address ?? '';
    if (address === '$cbs' || address.endsWith('$management')) return;
    const match = SENDER_ADDRESS.exec(address);
    const hub = match ? hubs.get(match[1]!) : undefined;
    if (!match || hub === undefined) return receiver.close({ condition: 'amqp:not-found', description: notFound(namespace, match?.[1] ?? address) });
    if (match[2] !== undefined && !hub.partitions.has(match[2])) {
      return receiver.close({ condition: 'amqp:not-found', description: `The specified partition '${match[2]}' is invalid for EventHub '${hub.name}'.` });
    }
    if (!authorised(context.connection, address)) return receiver.close(unauthorised(address, 'Send'));
  });

  container.on('message', (context: EventContext) => {
    const receiver = context.receiver!;
    const delivery = context.delivery!;
    const message = context.message!;
    const address = remoteTarget(receiver)?.address ?? '';
    if (address === '$cbs' || address.endsWith('$management')) {
      delivery.accept();
      const answer = address === '$cbs' ? putToken(message, context.connection) : answerManagement(message, namespace);
      reply(context.connection, message, answer);
      return;
    }
    const match = SENDER_ADDRESS.exec(address)!;
    const hub = hubs.get(match[1]!)!;
    const records = recordsFromClient(message, formatOf(delivery));
    const partition = match[2] !== undefined ? hub.partitions.get(match[2])! : hub.choosePartition(records[0]?.partitionKey);
    if (partition.failure !== undefined) {
      delivery.reject(partitionFailure(partition.failure));
      return;
    }
    for (const record of records) partition.append(record);
    delivery.accept();
  });

  container.on('disconnected', (context: EventContext) => {
    for (const sender of [...subscriptions.keys()]) if (sender.connection === context.connection) unsubscribe(sender);
  });
  // A peer that errs must not take the test process down; the client sees the closed link.
  container.on('error', () => {});

  function putToken(request: Message, connection: Connection): Answer {
    const properties = (request.application_properties ?? {}) as Record<string, unknown>;
    if (properties['operation'] !== 'put-token') return { status: 400, description: `The operation '${String(properties['operation'])}' is not supported.` };
    const audience = textOf(properties['name']);
    const granted = checkSasToken(request.body, audience, namespace.keys);
    if (typeof granted !== 'string') return granted;
    stateOf(connection).granted.add(normalise(audience));
    return { status: 202, description: 'Accepted' };
  }

  function reply(connection: Connection, request: Message, answer: Answer): void {
    const replyTo = String(request.reply_to ?? '');
    const link = replyLink(connection, replyTo);
    if (link === undefined) return;
    const response: Message = {
      correlation_id: request.message_id,
      to: replyTo,
      application_properties: { 'status-code': answer.status, 'status-description': answer.description },
      body: answer.body ?? null,
    };
    link.send(response);
  }

  const hubOf = (name: string): Hub => {
    const hub = hubs.get(name);
    if (hub === undefined) throw new Error(`No hub ${name} on the peer`);
    return hub;
  };
  const partitionOf = (hubName: string, partitionId: string): Partition => {
    const partition = hubOf(hubName).partitions.get(partitionId);
    if (partition === undefined) throw new Error(`No partition ${partitionId} in hub ${hubName}`);
    return partition;
  };

  return {
    port,
    endpoint: namespace.endpoint,
    connectionString: (hubName, secret = key.key) =>
      `Endpoint=${namespace.endpoint};SharedAccessKeyName=${key.name};SharedAccessKey=${secret};EntityPath=${hubName};UseDevelopmentEmulator=true`,
    createHub(name, partitionCount, consumerGroups = []) {
      hubs.set(name, new Hub(name, partitionCount, consumerGroups));
    },
    append: (hubName, partitionId, ...events) => events.map((event) => partitionOf(hubName, partitionId).append(recordOf(event))),
    events: (hubName, partitionId) => partitionOf(hubName, partitionId).events,
    receivers: (hubName, partitionId) => {
      const partition = partitionOf(hubName, partitionId);
      return [...subscriptions.values()].filter((subscription) => subscription.partition === partition).length;
    },
    sent: (hubName) => [...hubOf(hubName).partitions.values()].flatMap((partition) => partition.events.filter((event) => event.fromClient)),
    failPartition(hubName, partitionId, description) {
      const partition = partitionOf(hubName, partitionId);
      partition.failure = description ?? undefined;
      if (description === null) return;
      for (const subscription of [...subscriptions.values()]) {
        if (subscription.partition !== partition) continue;
        unsubscribe(subscription.sender);
        subscription.sender.close(partitionFailure(description));
      }
    },
    dropConnections() {
      for (const socket of sockets) socket.destroy();
    },
    freeze() {
      for (const socket of sockets) socket.pause();
    },
    async stop() {
      for (const sender of [...subscriptions.keys()]) unsubscribe(sender);
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
