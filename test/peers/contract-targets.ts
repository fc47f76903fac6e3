import type { ContractTarget } from '../support/contract-target.js';
import { randomUUID } from 'node:crypto';
import { createGooglePubSubConnector } from '../../src/runtime/connectors/google-pub-sub/connector.js';
import { createParticleConnector } from '../../src/runtime/connectors/particle/connector.js';
import { createSqsConnector } from '../../src/runtime/connectors/sqs/connector.js';
import { waitFor, within } from '../support/wait.js';
import { startParticlePeer } from './particle/peer.js';
import { particleSpec } from './particle/spec.js';
import { startPubSubPeer } from './pubsub/peer.js';
import { PUBSUB_TEST_PROJECT, pubSubSpec } from './pubsub/spec.js';
import { startSqsPeer } from './sqs/fauxqs-peer.js';
import { sqsSpec } from './sqs/spec.js';

/** Targets of the connector contract suite for the types whose peers live here. */
export type PeerContractTarget = ContractTarget;

/** Answers `next()` from a list that grows: entries from `from` on, one at a time. */
function follow(list: () => readonly string[], what: string): { next(): Promise<string> } {
  let index = list().length;
  return {
    next: () =>
      within(
        (async () => {
          while (list().length <= index) await new Promise((resolve) => setTimeout(resolve, 10));
          return list()[index++]!;
        })(),
        what,
      ),
  };
}

/** Particle: the peer emits device events and records what is published. */
export async function particleTarget(): Promise<PeerContractTarget> {
  const peer = await startParticlePeer({ keepAliveMs: 1000 });
  const emitted = new Map<string, string[]>();
  const heard = (topic: string) => [...(emitted.get(topic) ?? []), ...peer.published.filter((event) => event.name === topic).map((event) => event.data ?? '')];
  return {
    factory: (spec, events, options) => createParticleConnector(spec, events, { ...options, particleApiUrl: peer.url }),
    hasTopics: true,
    spec: (topics) => particleSpec(topics),
    reportedTopic: (topic) => topic,
    send: async (topic, payload) => {
      emitted.set(topic, [...(emitted.get(topic) ?? []), payload]);
      peer.emit(topic, payload);
    },
    listen: async (topic) => follow(() => heard(topic), `an event named ${topic}`),
    drop: async () => peer.dropStreams(),
    close: () => peer.close(),
  };
}

/**
 * SQS: a fresh queue per spec (a closed connector's abandoned long poll may
 * still take the next message of its queue, as on SQS). Topics mean nothing;
 * what the peer "gets" is what was sent to the queue.
 */
export async function sqsTarget(): Promise<PeerContractTarget> {
  const peer = await startSqsPeer();
  const queues = await Promise.all(Array.from({ length: 12 }, () => peer.createQueue(`contract-${randomUUID()}`)));
  let current = '';
  return {
    factory: createSqsConnector,
    hasTopics: false,
    spec: (topics) => {
      const queue = queues.shift();
      if (queue === undefined) throw new Error('The SQS contract target ran out of queues: create more');
      current = queue;
      return sqsSpec(queue, {}, topics);
    },
    reportedTopic: () => current,
    send: (_topic, payload) => peer.send(current, payload),
    listen: async () => {
      const queue = current;
      return follow(() => peer.sentTo(queue), `a message sent to ${queue}`);
    },
    drop: async () => peer.dropConnections(),
    close: () => peer.close(),
  };
}

/** Google Pub/Sub: topics named as the suite asks (created on first use); the peer reads them through its own subscription. */
export async function googlePubSubTarget(): Promise<PeerContractTarget> {
  const peer = await startPubSubPeer({ autoCreateTopics: true });
  return {
    factory: (spec, events, options) => createGooglePubSubConnector(spec, events, { ...options, pubSubApiEndpoint: peer.host }),
    hasTopics: true,
    separator: '.',
    spec: (topics) => pubSubSpec(topics),
    reportedTopic: (topic) => topic,
    send: async (topic, payload) => {
      peer.createTopic(PUBSUB_TEST_PROJECT, topic);
      peer.publish(PUBSUB_TEST_PROJECT, topic, payload);
    },
    listen: async (topic) => peer.tap(PUBSUB_TEST_PROJECT, topic),
    drop: async () => {
      // connect() resolves once the subscriptions exist; the StreamingPull may still be on its way.
      await waitFor(() => (peer.openStreams > 0 ? true : undefined), 'a StreamingPull to drop');
      peer.dropStreams();
    },
    close: () => peer.close(),
  };
}
