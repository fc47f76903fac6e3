import { ReceiveMessageCommand, SQSClient, GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSqsPeer } from './sqs/fauxqs-peer.js';
import type { SqsPeer } from './sqs/fauxqs-peer.js';
import { startRefusingSqsPeer } from './sqs/refusing-peer.js';

describe('SQS peer (fauxqs behind a 127.0.0.1 front)', () => {
  let peer: SqsPeer;
  beforeAll(async () => {
    peer = await startSqsPeer();
  });
  afterAll(() => peer.close());

  it('names queues on 127.0.0.1 and serves them there', async () => {
    const url = await peer.createQueue('peer-self-test');
    expect(url).toBe(`${peer.endpoint}/000000000000/peer-self-test`);
    await peer.send(url, 'hello', { kind: 'greeting' });
    const received = await peer.client.send(new ReceiveMessageCommand({ QueueUrl: url, MessageAttributeNames: ['All'], WaitTimeSeconds: 1 }));
    expect(received.Messages?.[0]).toMatchObject({ Body: 'hello', MessageAttributes: { kind: { StringValue: 'greeting' } } });
    expect(await peer.counts(url)).toEqual({ visible: 0, inFlight: 1 });
  });

  it('answers an unknown queue as SQS does', async () => {
    await expect(peer.counts(`${peer.endpoint}/000000000000/no-such-queue`)).rejects.toMatchObject({ name: 'QueueDoesNotExist' });
  });
});

describe('SQS peer refusing credentials', () => {
  it('answers InvalidClientTokenId for an unknown key and SignatureDoesNotMatch for a known one', async () => {
    const refusing = await startRefusingSqsPeer();
    const ask = async (accessKeyId: string) => {
      const client = new SQSClient({ region: 'us-east-1', endpoint: refusing.endpoint, credentials: { accessKeyId, secretAccessKey: 'x' }, maxAttempts: 1 });
      try {
        await client.send(new GetQueueAttributesCommand({ QueueUrl: `${refusing.endpoint}/1/q`, AttributeNames: ['QueueArn'] }));
        return undefined;
      } catch (error) {
        return error as Error & { $metadata: { httpStatusCode: number } };
      } finally {
        client.destroy();
      }
    };
    try {
      expect(await ask('AKIDUNKNOWN')).toMatchObject({ name: 'InvalidClientTokenId', message: 'The security token included in the request is invalid.', $metadata: { httpStatusCode: 403 } });
      expect(await ask(refusing.knownAccessKeyId)).toMatchObject({ name: 'SignatureDoesNotMatch' });
      expect(refusing.targets).toEqual(['AmazonSQS.GetQueueAttributes', 'AmazonSQS.GetQueueAttributes']);
    } finally {
      await refusing.close();
    }
  });
});
