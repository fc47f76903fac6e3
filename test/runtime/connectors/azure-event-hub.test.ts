import type { ReceivedEventData } from '@azure/event-hubs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../../src/lib/ids.js';
import type { IntegrationSpec } from '../../../src/domain/integration-spec.js';
import { ConnectError, NotConnectedError } from '../../../src/runtime/connector.js';
import type { Connector, ConnectorEvents, ReceivedMessage } from '../../../src/runtime/connector.js';
import { MemoryCheckpointStore } from '../../../src/runtime/connectors/azure-event-hub/checkpoints.js';
import type { CheckpointSource, PartitionCheckpoint } from '../../../src/runtime/connectors/azure-event-hub/checkpoints.js';
import { endpointTarget } from '../../../src/runtime/connectors/azure-event-hub/config.js';
import type { AzureEventHubConfig } from '../../../src/runtime/connectors/azure-event-hub/config.js';
import { createAzureEventHubConnector } from '../../../src/runtime/connectors/azure-event-hub/connector.js';
import { PartitionLedger } from '../../../src/runtime/connectors/azure-event-hub/ledger.js';
import { describeClientError, describeEventHubError } from '../../../src/runtime/connectors/azure-event-hub/reasons.js';
import { startEventHubsPeer } from '../../peers/event-hubs/index.js';
import type { EventHubsPeer } from '../../peers/event-hubs/index.js';
import { waitFor } from '../../support/wait.js';

const OPTIONS = { connectTimeoutMs: 5000, keepaliveSeconds: 5 };

/** Records what the connector reports; unlike the shared recorder, acknowledges nothing by itself. */
interface Recorder {
  readonly events: ConnectorEvents;
  readonly messages: ReceivedMessage[];
  readonly downs: string[];
  readonly troubles: (string | null)[];
  message(payload: string, timeoutMs?: number): Promise<ReceivedMessage>;
}

function recorder(): Recorder {
  const messages: ReceivedMessage[] = [];
  const downs: string[] = [];
  const troubles: (string | null)[] = [];
  return {
    messages,
    downs,
    troubles,
    events: {
      message: (message) => messages.push(message),
      down: (reason) => downs.push(reason),
      alive: () => {},
      subscriptionsRefused: () => {},
      trouble: (reason) => troubles.push(reason),
    },
    message: (payload, timeoutMs) => waitFor(() => messages.find((message) => message.payload.toString() === payload), `the message ${payload}`, timeoutMs),
  };
}

/** A store that lets the test read what was written. */
class WatchedStore extends MemoryCheckpointStore {
  readonly saved: PartitionCheckpoint[] = [];
  override async save(source: CheckpointSource, checkpoint: PartitionCheckpoint): Promise<void> {
    this.saved.push(checkpoint);
    await super.save(source, checkpoint);
  }
  /** The last checkpoint written for a partition. */
  last(partitionId: string): number | undefined {
    return this.saved.filter((checkpoint) => checkpoint.partitionId === partitionId).at(-1)?.sequenceNumber;
  }
}

let peer: EventHubsPeer;
let hubs = 0;
const open: Connector[] = [];

beforeAll(async () => {
  peer = await startEventHubsPeer();
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((connector) => connector.close()));
});
afterAll(async () => {
  await peer?.stop();
});

function hub(partitions: number, on = peer): string {
  const name = `hub-${++hubs}`;
  on.createHub(name, partitions);
  return name;
}

function spec(config: Partial<AzureEventHubConfig> & { hubName: string }, id = newId()): IntegrationSpec {
  const full: AzureEventHubConfig = { consumerGroup: '$default', connectionString: peer.connectionString(config.hubName), ...config };
  return { id, applicationId: newId(), name: 'test', integrationType: 'azureEventHub', enabled: true, topics: [], config: { ...full }, status: {} };
}

function start(integration: IntegrationSpec, checkpoints = new WatchedStore(), options = OPTIONS) {
  const events = recorder();
  const connector = createAzureEventHubConnector(integration, events.events, { ...options, checkpoints } as typeof options);
  open.push(connector);
  return { connector, events, checkpoints };
}

describe('receiving', () => {
  it('starts from the latest event, reports hub, body, sourceId and properties, and moves the checkpoint only once acknowledged', async () => {
    const name = hub(1);
    peer.append(name, '0', { body: 'before' });
    const { connector, events, checkpoints } = start(spec({ hubName: name }));
    await connector.connect();
    expect(checkpoints.last('0')).toBe(0);
    peer.append(name, '0', { body: 'after', properties: { colour: 'blue', count: 3 } });
    const message = await events.message('after');
    expect(message).toMatchObject({ topic: name, binary: false, sourceId: '0:1', attributes: { colour: 'blue', count: '3', partitionId: '0' } });
    expect(events.messages.map((m) => m.payload)).toEqual(['after']);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(checkpoints.last('0')).toBe(0);
    message.ack?.();
    await waitFor(() => (checkpoints.last('0') === 1 ? true : undefined), 'the checkpoint');
  });

  it('reports JSON bodies as JSON text and bytes as binary', async () => {
    const name = hub(1);
    const { connector, events } = start(spec({ hubName: name }));
    await connector.connect();
    peer.append(name, '0', { body: { a: [1, 2] } }, { body: Buffer.from([0xde, 0xad]) });
    await waitFor(() => (events.messages.length >= 2 ? true : undefined), 'two messages');
    expect(events.messages[0]).toMatchObject({ payload: '{"a":[1,2]}', binary: false });
    expect(events.messages[1]).toMatchObject({ payload: Buffer.from([0xde, 0xad]), binary: true });
  });

  it('resumes each partition from its own checkpoint after a restart, reading again what was not acknowledged', async () => {
    const name = hub(2);
    const integration = spec({ hubName: name });
    const first = start(integration);
    await first.connector.connect();
    peer.append(name, '0', { body: 'p0-a' }, { body: 'p0-b' });
    peer.append(name, '1', { body: 'p1-a' });
    (await first.events.message('p0-a')).ack?.();
    await first.events.message('p0-b');
    (await first.events.message('p1-a')).ack?.();
    await first.connector.close();
    expect(first.checkpoints.last('0')).toBe(0);
    expect(first.checkpoints.last('1')).toBe(0);
    peer.append(name, '1', { body: 'p1-b' });
    const second = start(integration, first.checkpoints);
    await second.connector.connect();
    await second.events.message('p0-b');
    await second.events.message('p1-b');
    expect(second.events.messages.map((m) => m.payload).sort()).toEqual(['p0-b', 'p1-b']);
    expect(second.events.messages.find((m) => m.payload === 'p0-b')?.sourceId).toBe('0:1');
  });

  it('writes a checkpoint only when every earlier message was acknowledged', async () => {
    const name = hub(1);
    const { connector, events, checkpoints } = start(spec({ hubName: name }));
    await connector.connect();
    peer.append(name, '0', { body: 'm0' }, { body: 'm1' }, { body: 'm2' });
    const [m0, m1, m2] = [await events.message('m0'), await events.message('m1'), await events.message('m2')];
    m2.ack?.();
    m1.ack?.();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(checkpoints.last('0')).toBe(-1);
    m0.ack?.();
    await waitFor(() => (checkpoints.last('0') === 2 ? true : undefined), 'the checkpoint after m2');
  });
});

describe('a failing partition', () => {
  it('is reported as trouble while the others flow, and cleared once it reads again', { timeout: 30_000 }, async () => {
    const name = hub(2);
    peer.failPartition(name, '1', 'Partition 1 is unavailable.');
    const { connector, events } = start(spec({ hubName: name }));
    await connector.connect();
    peer.append(name, '0', { body: 'still flowing' });
    await events.message('still flowing');
    await waitFor(() => events.troubles.at(-1) ?? undefined, 'trouble');
    expect(events.troubles.at(-1)).toBe('Partition 1: Partition 1 is unavailable.');
    expect(events.downs).toEqual([]);
    peer.failPartition(name, '1', null);
    peer.append(name, '1', { body: 'back' });
    await events.message('back', 25_000);
    await waitFor(() => (events.troubles.at(-1) === null ? true : undefined), 'the trouble cleared');
  });
});

describe('publishing', () => {
  it('sends to the hub, or to the partition a topic names, with the attributes as properties', async () => {
    const name = hub(2);
    const { connector } = start(spec({ hubName: name }));
    await expect(connector.publish({ topic: 'x', payload: 'early', qos: 0, retain: false })).rejects.toBeInstanceOf(NotConnectedError);
    await connector.connect();
    await connector.publish({ topic: 'anything', payload: 'to the hub', qos: 0, retain: false, attributes: { colour: 'red' } });
    await connector.publish({ topic: '1', payload: Buffer.from('to partition 1'), qos: 0, retain: false });
    const sent = peer.sent(name);
    expect(sent.find((event) => event.body === 'to the hub')?.properties).toEqual({ colour: 'red' });
    expect(peer.events(name, '1').map((event) => String(event.body))).toContain('to partition 1');
  });

  it('reads back what it published as the same string', async () => {
    const name = hub(1);
    const { connector, events } = start(spec({ hubName: name }));
    await connector.connect();
    await connector.publish({ topic: name, payload: '{"not":"re-encoded"}', qos: 0, retain: false });
    expect(await events.message('{"not":"re-encoded"}')).toMatchObject({ binary: false, sourceId: '0:0' });
  });

  it("rejects with the service's words when the partition refuses the event", async () => {
    const name = hub(2);
    const { connector } = start(spec({ hubName: name }));
    await connector.connect();
    peer.failPartition(name, '1', 'Partition 1 is read-only.');
    await expect(connector.publish({ topic: '1', payload: 'x', qos: 0, retain: false })).rejects.toThrow('Partition 1 is read-only.');
    await connector.close();
    await expect(connector.publish({ topic: '0', payload: 'x', qos: 0, retain: false })).rejects.toBeInstanceOf(NotConnectedError);
  });
});

describe('connect()', () => {
  it("rejects a wrong key in the service's words", async () => {
    const name = hub(1);
    const { connector } = start(spec({ hubName: name, connectionString: peer.connectionString(name, 'wrong') }));
    const error = await connector.connect().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConnectError);
    expect((error as Error).message).toBe('InvalidSignature: The token has an invalid signature.');
  });

  it('rejects an unknown hub, saying it could not be found', async () => {
    const { connector } = start(spec({ hubName: 'nowhere' }));
    await expect(connector.connect()).rejects.toThrow(`The messaging entity '${peer.endpoint}nowhere' could not be found.`);
  });

  it('words a connection string that does not match hubName without quoting the key', async () => {
    const name = hub(1);
    const { connector } = start(spec({ hubName: 'other', connectionString: peer.connectionString(name) }));
    const error = (await connector.connect().catch((caught: unknown) => caught)) as Error;
    expect(error.message).toBe(`The connection string's EntityPath "${name}" does not match hubName "other"`);
  });

  it('says that hostName needs a credential this build does not carry', async () => {
    const { connector } = start(spec({ hubName: 'h', connectionString: undefined, hostName: 'example.servicebus.windows.net' }));
    await expect(connector.connect()).rejects.toThrow(/hostName needs an Azure AD/);
  });

  it('says a closed port refused the connection', async () => {
    const gone = await startEventHubsPeer();
    const connectionString = gone.connectionString('h');
    await gone.stop();
    const { connector } = start(spec({ hubName: 'h', connectionString }));
    await expect(connector.connect()).rejects.toThrow(`Connection refused by 127.0.0.1:${gone.port} (ECONNREFUSED)`);
  });
});

describe('losing the link', () => {
  let own: EventHubsPeer;
  beforeAll(async () => {
    own = await startEventHubsPeer();
  });
  afterAll(async () => {
    await own?.stop();
  });
  const ownSpec = (name: string) => spec({ hubName: name, connectionString: own.connectionString(name) });

  it('reports the connection dropping once, writes what was acknowledged, and publishes no more', async () => {
    const name = hub(1, own);
    const { connector, events, checkpoints } = start(ownSpec(name));
    await connector.connect();
    own.append(name, '0', { body: 'kept' });
    (await events.message('kept')).ack?.();
    own.dropConnections();
    expect(await waitFor(() => events.downs[0], 'down')).toBe('Connection closed by Event Hubs');
    await expect(connector.publish({ topic: '0', payload: 'x', qos: 0, retain: false })).rejects.toBeInstanceOf(NotConnectedError);
    await connector.close();
    expect(events.downs).toHaveLength(1);
    expect(checkpoints.last('0')).toBe(0);
  });

  it('reports a peer that stops answering as a keepalive timeout', async () => {
    const name = hub(1, own);
    const { connector, events } = start(ownSpec(name), new WatchedStore(), { ...OPTIONS, keepaliveSeconds: 1 });
    await connector.connect();
    own.freeze();
    expect(await waitFor(() => events.downs[0], 'down')).toBe('Keepalive timeout: Event Hubs did not answer within 1 s');
    await connector.close();
    expect(events.downs).toHaveLength(1);
  });
});

describe('PartitionLedger', () => {
  const event = (sequenceNumber: number) => ({ sequenceNumber, offset: String(sequenceNumber * 10) }) as ReceivedEventData;

  function ledger() {
    const written: number[] = [];
    const partition = new PartitionLedger('0', async (checkpoint) => void written.push(checkpoint.sequenceNumber), -1);
    return { partition, written };
  }

  it('writes at the end of a batch once every message of it and before it was acknowledged, in order', async () => {
    const { partition, written } = ledger();
    const first = partition.add([event(0), event(1)]);
    const second = partition.add([event(2)]);
    second[0]!();
    first[1]!();
    await partition.flush();
    expect(written).toEqual([]);
    first[0]!();
    await partition.flush();
    expect(written).toEqual([2]);
  });

  it('writes the furthest acknowledged message at flush, even inside a batch', async () => {
    const { partition, written } = ledger();
    const acks = partition.add([event(0), event(1), event(2)]);
    acks[0]!();
    acks[1]!();
    await partition.flush();
    expect(written).toEqual([1]);
    acks[1]!();
    await partition.flush();
    expect(written).toEqual([1]);
  });

  it('ignores acknowledgements of messages handed out before a reset', async () => {
    const { partition, written } = ledger();
    const stale = partition.add([event(0), event(1)]);
    partition.reset();
    const again = partition.add([event(0), event(1)]);
    stale[0]!();
    stale[1]!();
    await partition.flush();
    expect(written).toEqual([]);
    again[0]!();
    again[1]!();
    await partition.flush();
    expect(written).toEqual([1]);
  });
});

describe('wording', () => {
  const target = { host: 'ns.servicebus.windows.net', port: 5671 };
  const messaging = (message: string, code: string) => Object.assign(new Error(message), { name: 'MessagingError', code });

  it("keeps the service's description without its tracking tail", () => {
    const error = messaging("Unauthorized access. 'Listen' claim(s) are required. TrackingId:abc, SystemTracker:x, Timestamp:2026-01-01T00:00:00", 'UnauthorizedError');
    expect(describeEventHubError(error, target)).toBe("Unauthorized access. 'Listen' claim(s) are required.");
  });

  it('words network failures as every connector does, even when the SDK only has them in its message', () => {
    expect(describeEventHubError(messaging('connect ECONNREFUSED 10.0.0.1:5671', 'ConnectionRefusedError'), target)).toBe(
      'Connection refused by ns.servicebus.windows.net:5671 (ECONNREFUSED)',
    );
    expect(describeEventHubError(Object.assign(new Error('getaddrinfo ENOTFOUND nowhere'), { code: 'ENOTFOUND', hostname: 'nowhere' }), target)).toBe(
      'DNS lookup failed for host nowhere (ENOTFOUND)',
    );
  });

  it('never quotes a connection string the SDK refused', () => {
    const secret = 'Endpoint=sb://x/;SharedAccessKeyName=k;SharedAccessKey=SECRET;EntityPath=a';
    for (const message of [`The entity path "a" in connectionString: "${secret}" doesn't match with eventHubName: "b".`, `Missing Endpoint in Connection String ${secret}`, `odd ${secret}`]) {
      expect(describeClientError(new TypeError(message), 'b')).not.toContain('SECRET');
    }
    expect(describeClientError(new TypeError(`The entity path "a" in connectionString: "${secret}" doesn't match with eventHubName: "b".`), 'b')).toBe(
      'The connection string\'s EntityPath "a" does not match hubName "b"',
    );
  });

  it('reads the endpoint of a connection string, with the emulator port when it names none', () => {
    expect(endpointTarget('Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=k;SharedAccessKey=v')).toEqual({ host: 'ns.servicebus.windows.net', port: 5671 });
    expect(endpointTarget('Endpoint=sb://localhost;SharedAccessKeyName=k;SharedAccessKey=v;UseDevelopmentEmulator=true')).toEqual({ host: 'localhost', port: 5672 });
    expect(endpointTarget('Endpoint=sb://127.0.0.1:7000;UseDevelopmentEmulator=true')).toEqual({ host: '127.0.0.1', port: 7000 });
  });
});
