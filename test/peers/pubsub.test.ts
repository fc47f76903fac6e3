import { PubSub } from '@google-cloud/pubsub';
import type { Message } from '@google-cloud/pubsub';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPubSubPeer } from './pubsub/peer.js';
import type { PubSubPeer } from './pubsub/peer.js';
import { within } from '../support/wait.js';

const PROJECT = 'peer-self-test';

describe('Pub/Sub peer, driven by the official SDK', () => {
  let peer: PubSubPeer;
  let pubsub: PubSub;
  beforeAll(async () => {
    peer = await startPubSubPeer();
    pubsub = new PubSub({ projectId: PROJECT, apiEndpoint: peer.host });
  });
  afterAll(async () => {
    await pubsub.close();
    await peer.close();
  });

  it('creates and finds topics and subscriptions, in Google words when they are missing or taken', async () => {
    const [topic] = await pubsub.createTopic('orders');
    await expect(pubsub.createTopic('orders')).rejects.toMatchObject({ code: 6, details: 'Resource already exists in the project (resource=orders).' });
    await expect(pubsub.topic('missing').getMetadata()).rejects.toMatchObject({ code: 5, details: 'Resource not found (resource=missing).' });
    await topic.createSubscription('orders-sub');
    const [metadata] = await pubsub.subscription('orders-sub').getMetadata();
    expect(metadata).toMatchObject({ name: `projects/${PROJECT}/subscriptions/orders-sub`, topic: `projects/${PROJECT}/topics/orders` });
    await expect(pubsub.topic('missing').createSubscription('x-sub')).rejects.toMatchObject({ code: 5 });
    await expect(pubsub.createTopic('goog-reserved')).rejects.toMatchObject({ code: 3 });
    await pubsub.subscription('orders-sub').delete();
    expect(peer.subscription(PROJECT, 'orders-sub')).toBeUndefined();
  });

  it('streams, redelivers a nacked message, and forgets an acked one', async () => {
    const [topic] = await pubsub.createTopic('events');
    const [subscription] = await topic.createSubscription('events-sub');
    const received: Message[] = [];
    let next: ((message: Message) => void) | undefined;
    subscription.on('message', (message: Message) => {
      received.push(message);
      next?.(message);
    });
    const arrival = () => within(new Promise<Message>((resolve) => (next = resolve)), 'a message');
    const first = arrival();
    const id = await topic.publishMessage({ data: Buffer.from('hi'), attributes: { k: 'v' } });
    const message = await first;
    expect(message).toMatchObject({ id, attributes: { k: 'v' } });
    expect(message.data.toString()).toBe('hi');
    const again = arrival();
    message.nack();
    expect((await again).id).toBe(id);
    received.at(-1)?.ack();
    await within(
      (async () => {
        while (!peer.subscription(PROJECT, 'events-sub')?.acked.includes(id)) await new Promise((resolve) => setTimeout(resolve, 20));
      })(),
      'the ack',
    );
    await subscription.close();
  });

  it('refuses every call UNAUTHENTICATED when asked', async () => {
    peer.refuseCredentials = true;
    try {
      await expect(pubsub.getTopics()).rejects.toMatchObject({ code: 16 });
    } finally {
      peer.refuseCredentials = false;
    }
  });
});
