import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConnectError } from '../../../src/runtime/connector.js';
import type { Connector, ReceivedMessage } from '../../../src/runtime/connector.js';
import type { IntegrationSpec } from '../../../src/domain/integration-spec.js';
import { createSqsConnector } from '../../../src/runtime/connectors/sqs/connector.js';
import { describeSqsError } from '../../../src/runtime/connectors/sqs/reasons.js';
import { startSqsPeer } from '../../peers/sqs/fauxqs-peer.js';
import type { SqsPeer } from '../../peers/sqs/fauxqs-peer.js';
import { startRefusingSqsPeer } from '../../peers/sqs/refusing-peer.js';
import { sqsSpec } from '../../peers/sqs/spec.js';
import { holdAcks } from '../../peers/held-acks.js';
import { recordEvents, waitFor } from '../../support/wait.js';
import type { EventRecorder } from '../../support/wait.js';

const OPTIONS = { connectTimeoutMs: 3000, keepaliveSeconds: 5 };
const open: Connector[] = [];
let peer: SqsPeer;

beforeAll(async () => {
  peer = await startSqsPeer();
});
afterAll(() => peer.close());
afterEach(async () => {
  await Promise.all(open.splice(0).map((connector) => connector.close()));
});

/** The recorder sees every message; acks are the test's to give (`held`). */
function start(spec: IntegrationSpec): { connector: Connector; recorder: EventRecorder; held: ReceivedMessage[] } {
  const recorder = recordEvents();
  const { events, held } = holdAcks(recorder.events);
  const connector = createSqsConnector(spec, events, OPTIONS);
  open.push(connector);
  return { connector, recorder, held };
}

const queue = (attributes?: Record<string, string>) => peer.createQueue(`q-${randomUUID()}`, attributes);
const full = (message: unknown) => message as ReceivedMessage;

describe('receiving', () => {
  it('reports a message with the queue URL as topic, MessageId and attributes, and deletes it only once acknowledged', async () => {
    const url = await queue();
    const { connector, recorder, held } = start(sqsSpec(url, {}, ['ignored']));
    await connector.connect();
    await peer.send(url, 'hello', { colour: 'blue' });
    await recorder.waitMessage((m) => m.payload === 'hello');
    const message = held[0]!;
    expect(message).toMatchObject({ topic: url, binary: false, attributes: { colour: 'blue' } });
    expect(message.sourceId).toMatch(/\w/);
    expect(await peer.counts(url)).toEqual({ visible: 0, inFlight: 1 });
    message.ack?.();
    await waitFor(async () => ((await peer.counts(url)).inFlight === 0 ? true : undefined), 'the delete');
    expect(await peer.counts(url)).toEqual({ visible: 0, inFlight: 0 });
  });

  it('deletes through the next link what arrived on one that was lost', async () => {
    const url = await queue();
    const { connector, recorder, held } = start(sqsSpec(url));
    await connector.connect();
    await peer.send(url, 'kept late');
    await recorder.waitMessage((m) => m.payload === 'kept late');
    peer.dropConnections();
    await recorder.waitDown();
    await connector.connect();
    held[0]?.ack?.();
    await waitFor(async () => ((await peer.counts(url)).inFlight === 0 ? true : undefined), 'the late delete');
  });

  it('leaves a message it was not told to keep to return after its visibility timeout', async () => {
    const url = await queue({ VisibilityTimeout: '1' });
    const { connector, recorder, held } = start(sqsSpec(url));
    await connector.connect();
    await peer.send(url, 'not kept');
    await recorder.waitMessage((m) => m.payload === 'not kept');
    await waitFor(() => (held.length >= 2 ? true : undefined), 'the redelivery', 5000);
    const [first, again] = [held[0]!, held[1]!];
    expect(again).toMatchObject({ payload: 'not kept', sourceId: first.sourceId });
    again.ack?.();
    await waitFor(async () => ((await peer.counts(url)).inFlight === 0 ? true : undefined), 'the delete');
  });

  it('keeps several long polls in flight while the queue is busy, and one when it is quiet', async () => {
    const url = await queue();
    for (let i = 0; i < 60; i++) await peer.send(url, `m-${i}`);
    peer.resetReceiveCount();
    const { connector, recorder, held } = start(sqsSpec(url));
    await connector.connect();
    await waitFor(() => (recorder.messages.length >= 60 ? true : undefined), 'every message');
    expect(peer.maxReceivesInFlight).toBeGreaterThan(1);
    expect(new Set(recorder.messages.map((m) => m.payload)).size).toBe(60);
    for (const message of held) message.ack?.();
    await waitFor(async () => ((await peer.counts(url)).inFlight === 0 ? true : undefined), 'the deletes');
  });
});

describe('publishing', () => {
  it('sends to the configured queue whatever the topic, with String message attributes', async () => {
    const url = await queue();
    // The connector reads the queue it writes to: what it published comes back to it.
    const { connector, recorder } = start(sqsSpec(url));
    await connector.connect();
    await connector.publish({ topic: 'anything', payload: Buffer.from('out'), qos: 0, retain: false, attributes: { source: 'tributary' } });
    const message = full(await recorder.waitMessage((m) => m.payload === 'out'));
    expect(message).toMatchObject({ topic: url, attributes: { source: 'tributary' } });
  });

  it('rejects a publish SQS refuses, in its words', async () => {
    const url = await queue({ MaximumMessageSize: '1024' });
    const { connector } = start(sqsSpec(url));
    await connector.connect();
    await expect(connector.publish({ topic: 'x', payload: 'x'.repeat(2000), qos: 0, retain: false })).rejects.toThrow(/HTTP 400\)$/);
  });
});

describe('failures', () => {
  it('refuses an unknown queue in SQS words', async () => {
    const { connector } = start(sqsSpec(`${peer.endpoint}/000000000000/no-such-queue`));
    const error = await connector.connect().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectError);
    expect((error as Error).message).toMatch(/^The specified queue does not exist.* \(.*HTTP 400\)$/);
  });

  it('refuses credentials SQS refuses: unknown key and wrong secret', async () => {
    const refusing = await startRefusingSqsPeer();
    try {
      const url = `${refusing.endpoint}/000000000000/q`;
      await expect(start(sqsSpec(url, { accessKeyId: 'AKIDNOBODY' })).connector.connect()).rejects.toThrow(
        new ConnectError('The security token included in the request is invalid. (InvalidClientTokenId, HTTP 403)'),
      );
      await expect(start(sqsSpec(url, { accessKeyId: refusing.knownAccessKeyId })).connector.connect()).rejects.toThrow(/does not match the signature.*\(SignatureDoesNotMatch, HTTP 403\)$/);
    } finally {
      await refusing.close();
    }
  });

  it('says who refused the connection when nothing listens', async () => {
    const { connector } = start(sqsSpec('http://127.0.0.1:1/000000000000/q'));
    await expect(connector.connect()).rejects.toThrow('Connection refused by 127.0.0.1:1 (ECONNREFUSED)');
  });

  it('reports a link lost under a long poll once', async () => {
    const url = await queue();
    const { connector, recorder } = start(sqsSpec(url));
    await connector.connect();
    peer.dropConnections();
    const reason = await recorder.waitDown();
    expect(reason).toMatch(/\w/);
    await connector.close();
    expect(recorder.downs).toEqual([reason]);
  });
});

describe('describeSqsError', () => {
  const serviceError = (name: string, message: string, status: number, Code?: string) =>
    Object.assign(new Error(message), { name, Code, $metadata: { httpStatusCode: status } });

  it('words service errors with their code and status', () => {
    expect(describeSqsError(serviceError('QueueDoesNotExist', 'The specified queue does not exist.', 400, 'AWS.SimpleQueueService.NonExistentQueue'), undefined)).toBe(
      'The specified queue does not exist. (AWS.SimpleQueueService.NonExistentQueue, HTTP 400)',
    );
    expect(describeSqsError(serviceError('ThrottlingException', 'Rate exceeded', 400), undefined)).toBe('Rate exceeded (ThrottlingException, HTTP 400)');
    expect(describeSqsError(serviceError('Unknown', 'UnknownError', 503), undefined)).toBe('SQS answered HTTP 503 (Unknown, HTTP 503)');
  });

  it('words socket errors as every connector does', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    expect(describeSqsError(refused, { host: 'sqs.local', port: 9324 })).toBe('Connection refused by sqs.local:9324 (ECONNREFUSED)');
    expect(describeSqsError(new Error('something odd'), undefined)).toBe('something odd');
  });
});
