import { createHmac } from 'node:crypto';
import { EventHubConsumerClient, EventHubProducerClient, earliestEventPosition } from '@azure/event-hubs';
import type { EventPosition, ReceivedEventData, Subscription } from '@azure/event-hubs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startEventHubsPeer } from './event-hubs/index.js';
import { checkSasToken } from './event-hubs/sas.js';
import type { EventHubsPeer } from './event-hubs/index.js';
import { waitFor } from '../support/wait.js';

/** The peer against the official SDK, unchanged: what the connector tests rely on. */
const RETRY = { maxRetries: 0, timeoutInMs: 5000 };
const bodyOf = (event: { body: unknown }): unknown => event.body;

describe('Event Hubs peer', () => {
  let peer: EventHubsPeer;
  const clients: { close(): Promise<void> }[] = [];
  const subscriptions: Subscription[] = [];
  let hubCount = 0;

  beforeAll(async () => {
    peer = await startEventHubsPeer();
  });
  afterEach(async () => {
    await Promise.all(subscriptions.splice(0).map((subscription) => subscription.close()));
    await Promise.all(clients.splice(0).map((client) => client.close()));
  });
  afterAll(async () => {
    await peer?.stop();
  });

  function hub(partitions = 2): string {
    const name = `hub-${++hubCount}`;
    peer.createHub(name, partitions);
    return name;
  }
  function producer(name: string, key?: string): EventHubProducerClient {
    const client = new EventHubProducerClient(peer.connectionString(name, key), { retryOptions: RETRY });
    clients.push(client);
    return client;
  }
  function consumer(name: string, key?: string): EventHubConsumerClient {
    const client = new EventHubConsumerClient('$default', peer.connectionString(name, key), { retryOptions: RETRY });
    clients.push(client);
    return client;
  }
  /** Receives from one partition into an array, from `startPosition`. */
  function collect(client: EventHubConsumerClient, partitionId: string, startPosition: EventPosition) {
    const received: ReceivedEventData[] = [];
    const errors: Error[] = [];
    subscriptions.push(
      client.subscribe(
        partitionId,
        {
          processEvents: async (events) => {
            received.push(...events);
          },
          processError: async (error) => {
            errors.push(error);
          },
        },
        { startPosition, maxWaitTimeInSeconds: 1 },
      ),
    );
    return { received, errors };
  }

  it('answers hub and partition properties', async () => {
    const name = hub(3);
    peer.append(name, '1', { body: 'a' }, { body: 'b' });
    const client = producer(name);
    const properties = await client.getEventHubProperties();
    expect(properties).toMatchObject({ name, partitionIds: ['0', '1', '2'] });
    const partition = await client.getPartitionProperties('1');
    expect(partition).toMatchObject({ eventHubName: name, partitionId: '1', beginningSequenceNumber: 0, lastEnqueuedSequenceNumber: 1, isEmpty: false });
    expect(partition.lastEnqueuedOffset).toBe(peer.events(name, '1')[1]!.offset);
    expect(partition.lastEnqueuedOnUtc.getTime()).toBe(peer.events(name, '1')[1]!.enqueuedTime.getTime());
    expect(await client.getPartitionProperties('0')).toMatchObject({ lastEnqueuedSequenceNumber: -1, isEmpty: true });
  });

  it('takes what a producer sends, to the hub and to a partition, and hands it to a consumer with its annotations', async () => {
    const name = hub(2);
    const client = producer(name);
    const reader = collect(consumer(name), '1', earliestEventPosition);
    await client.sendBatch([{ body: { n: 1 }, properties: { kind: 'json' } }, { body: Buffer.from([0xff, 0x00]) }], { partitionId: '1' });
    const batch = await client.createBatch({ partitionId: '1' });
    expect(batch.tryAdd({ body: 'text', properties: { n: 3 } })).toBe(true);
    await client.sendBatch(batch);
    await client.sendBatch([{ body: 'keyed' }], { partitionKey: 'k' });
    expect(peer.sent(name).map(bodyOf)).toContain('keyed');
    const received = await waitFor(() => (reader.received.length >= 3 ? reader.received : undefined), 'three events');
    expect(received.map(bodyOf)).toEqual([{ n: 1 }, Buffer.from([0xff, 0x00]), 'text']);
    expect(received.map((event) => event.sequenceNumber)).toEqual([0, 1, 2]);
    expect(received[0]!.properties).toEqual({ kind: 'json' });
    expect(received[2]!.properties).toEqual({ n: 3 });
    expect(received[1]!.offset).toBe(peer.events(name, '1')[1]!.offset);
    expect(received[1]!.enqueuedTimeUtc.getTime()).toBe(peer.events(name, '1')[1]!.enqueuedTime.getTime());
    expect(reader.errors).toEqual([]);
  });

  it('resumes after a sequence number, after an offset, and from the latest event', async () => {
    const name = hub(1);
    peer.append(name, '0', ...['e0', 'e1', 'e2', 'e3'].map((body) => ({ body })));
    // The SDK allows one subscription per partition and client.
    const afterSequence = collect(consumer(name), '0', { sequenceNumber: 1 });
    const afterOffset = collect(consumer(name), '0', { offset: peer.events(name, '0')[2]!.offset });
    const inclusive = collect(consumer(name), '0', { sequenceNumber: 3, isInclusive: true });
    const latest = collect(consumer(name), '0', { offset: '@latest' });
    await waitFor(() => (afterSequence.received.length >= 2 && afterOffset.received.length >= 1 && inclusive.received.length >= 1 ? true : undefined), 'resumed reads');
    // The @latest reader must be attached before the append it is to see.
    await waitFor(() => (peer.receivers(name, '0') === 4 ? true : undefined), 'four receivers');
    peer.append(name, '0', { body: 'e4' });
    await waitFor(() => (latest.received.length >= 1 ? true : undefined), 'the latest reader');
    expect(afterSequence.received.map(bodyOf).slice(0, 2)).toEqual(['e2', 'e3']);
    expect(afterOffset.received[0]!.body).toBe('e3');
    expect(inclusive.received[0]!.body).toBe('e3');
    expect(latest.received.map(bodyOf)).toEqual(['e4']);
  });

  it('reads from an enqueued time', async () => {
    const name = hub(1);
    peer.append(name, '0', { body: 'old' });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const since = new Date();
    await new Promise((resolve) => setTimeout(resolve, 20));
    peer.append(name, '0', { body: 'new' });
    const reader = collect(consumer(name), '0', { enqueuedOn: since });
    await waitFor(() => reader.received[0], 'the event after the time');
    expect(reader.received.map(bodyOf)).toEqual(['new']);
  });

  it('checks SAS tokens: signature, expiry, audience', () => {
    const keys = [{ name: 'k', key: 'secret' }];
    const token = (key: string, expiry: number, audience = 'sb://ns/hub') => {
      const sr = encodeURIComponent(audience);
      const sig = encodeURIComponent(createHmac('sha256', key).update(`${sr}\n${expiry}`).digest('base64'));
      return `SharedAccessSignature sr=${sr}&sig=${sig}&se=${expiry}&skn=k`;
    };
    const later = Math.floor(Date.now() / 1000) + 60;
    expect(checkSasToken(token('secret', later), 'sb://ns/hub/ConsumerGroups/$default/Partitions/0', keys)).toBe('ns/hub');
    expect(checkSasToken(token('wrong', later), 'sb://ns/hub', keys)).toMatchObject({ status: 401, description: 'InvalidSignature: The token has an invalid signature.' });
    expect(checkSasToken(token('secret', later - 120), 'sb://ns/hub', keys)).toMatchObject({ status: 401, description: expect.stringMatching(/^ExpiredToken/) as unknown });
    expect(checkSasToken(token('secret', later, 'sb://ns/other'), 'sb://ns/hub', keys)).toMatchObject({ status: 401, description: expect.stringMatching(/^InvalidAudience/) as unknown });
  });

  it('refuses a wrong key as the service does', async () => {
    const name = hub(1);
    const refusal = await producer(name, 'not-the-key').getEventHubProperties().catch((error: unknown) => error);
    expect(refusal).toMatchObject({ code: 'UnauthorizedError' });
    expect((refusal as Error).message).toMatch(/^InvalidSignature: The token has an invalid signature/);
    const reader = collect(consumer(name, 'not-the-key'), '0', earliestEventPosition);
    const error = await waitFor(() => reader.errors[0], 'a refusal');
    expect(error.message).toMatch(/InvalidSignature/);
  });

  it('says an unknown hub could not be found', async () => {
    await expect(producer('no-such-hub').getEventHubProperties()).rejects.toThrow(/could not be found/);
  });

  it('fails one partition while the others serve', async () => {
    const name = hub(2);
    const client = consumer(name);
    const healthy = collect(client, '0', earliestEventPosition);
    peer.failPartition(name, '1', 'Partition 1 is unavailable.');
    const failing = collect(client, '1', earliestEventPosition);
    peer.append(name, '0', { body: 'still flowing' });
    await waitFor(() => healthy.received[0], 'the healthy partition');
    const error = await waitFor(() => failing.errors[0], 'the failing partition');
    expect(error.message).toBe('Partition 1 is unavailable.');
    await expect(producer(name).sendBatch([{ body: 'x' }], { partitionId: '1' })).rejects.toThrow('Partition 1 is unavailable.');
  });
});
