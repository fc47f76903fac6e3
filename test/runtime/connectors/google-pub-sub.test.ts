import { randomUUID } from 'node:crypto';
import { PubSub } from '@google-cloud/pubsub';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConnectError, NotConnectedError } from '../../../src/runtime/connector.js';
import type { Connector, ReceivedMessage } from '../../../src/runtime/connector.js';
import type { IntegrationSpec } from '../../../src/domain/integration-spec.js';
import { createGooglePubSubConnector } from '../../../src/runtime/connectors/google-pub-sub/connector.js';
import type { GooglePubSubOptions } from '../../../src/runtime/connectors/google-pub-sub/config.js';
import { describePubSubError } from '../../../src/runtime/connectors/google-pub-sub/reasons.js';
import { deleteGooglePubSubSubscriptions } from '../../../src/runtime/connectors/google-pub-sub/subscriptions.js';
import { EMULATOR_BIN, emulatorInstalled, startEmulator } from '../../peers/pubsub/emulator.js';
import type { Emulator } from '../../peers/pubsub/emulator.js';
import { startPubSubPeer } from '../../peers/pubsub/peer.js';
import { holdAcks } from '../../peers/held-acks.js';
import type { PubSubPeer } from '../../peers/pubsub/peer.js';
import { PUBSUB_TEST_PROJECT as PROJECT, pubSubSpec } from '../../peers/pubsub/spec.js';
import { recordEvents, waitFor } from '../../support/wait.js';
import type { EventRecorder } from '../../support/wait.js';

const open: Connector[] = [];
let peer: PubSubPeer;

beforeAll(async () => {
  peer = await startPubSubPeer();
});
afterAll(() => peer.close());
afterEach(async () => {
  peer.refuseCredentials = false;
  await Promise.all(open.splice(0).map((connector) => connector.close()));
});

function options(endpoint = peer.host): GooglePubSubOptions {
  return { connectTimeoutMs: 3000, keepaliveSeconds: 5, pubSubApiEndpoint: endpoint };
}

/** The recorder sees every message; acks are the test's to give (`held`). */
function start(spec: IntegrationSpec, endpoint?: string): { connector: Connector; recorder: EventRecorder; held: ReceivedMessage[] } {
  const recorder = recordEvents();
  const { events, held } = holdAcks(recorder.events);
  const connector = createGooglePubSubConnector(spec, events, options(endpoint));
  open.push(connector);
  return { connector, recorder, held };
}

function topic(): string {
  const name = `t-${randomUUID()}`;
  peer.createTopic(PROJECT, name);
  return name;
}
const full = (message: unknown) => message as ReceivedMessage;
const text = (message: { payload: Buffer | string }) => message.payload.toString();

describe('subscriptions', () => {
  it('creates tributary-<integrationId>-<topic> when missing, streams from it, and acks only after ack()', async () => {
    const name = topic();
    const spec = pubSubSpec([name]);
    const { connector, recorder, held } = start(spec);
    await connector.connect();
    const subscription = peer.subscription(PROJECT, `tributary-${spec.id}-${name}`);
    expect(subscription?.topic).toBe(`projects/${PROJECT}/topics/${name}`);
    const id = peer.publish(PROJECT, name, 'hello', { colour: 'blue' });
    await recorder.waitMessage((m) => text(m) === 'hello');
    const message = held[0]!;
    expect(message).toMatchObject({ topic: name, binary: false, sourceId: id, attributes: { colour: 'blue' } });
    expect(Buffer.isBuffer(message.payload)).toBe(true);
    expect(subscription?.outstanding.size).toBe(1);
    expect(subscription?.acked).toEqual([]);
    message.ack?.();
    await waitFor(() => (subscription?.acked.length ? true : undefined), 'the ack');
    expect(subscription?.acked).toEqual([id]);
    expect(subscription?.outstanding.size).toBe(0);
  });

  it('acknowledges through the next link what arrived on one that was lost', async () => {
    const name = topic();
    const spec = pubSubSpec([name]);
    const { connector, recorder, held } = start(spec);
    await connector.connect();
    const id = peer.publish(PROJECT, name, 'kept late');
    await recorder.waitMessage((m) => text(m) === 'kept late');
    peer.dropStreams();
    await recorder.waitDown();
    await connector.connect();
    held[0]?.ack?.();
    const subscription = peer.subscription(PROJECT, `tributary-${spec.id}-${name}`);
    await waitFor(() => (subscription?.acked.includes(id) ? true : undefined), 'the late ack');
  });

  it('reuses its subscription, so what arrived while it was away is delivered', async () => {
    const name = topic();
    const spec = pubSubSpec([name]);
    const first = start(spec);
    await first.connector.connect();
    await first.connector.close();
    const id = peer.publish(PROJECT, name, 'while away');
    const second = start(spec);
    await second.connector.connect();
    expect(full(await second.recorder.waitMessage(() => true)).sourceId).toBe(id);
    expect([...peer.state.subscriptions.keys()].filter((key) => key.includes(spec.id))).toHaveLength(1);
  });

  it('reports an unknown topic refused in Google words, and streams the others', async () => {
    const name = topic();
    const { connector, recorder } = start(pubSubSpec([name, 'no-such-topic']));
    await connector.connect();
    expect(await recorder.waitRefused()).toEqual([{ topic: 'no-such-topic', reason: 'Resource not found (resource=no-such-topic). (NOT_FOUND)' }]);
    peer.publish(PROJECT, name, 'still flowing');
    await recorder.waitMessage((m) => text(m) === 'still flowing');
  });

  it('adds streams before stopping removed ones, keeping the removed subscription', async () => {
    const [a, b] = [topic(), topic()];
    const spec = pubSubSpec([a]);
    const { connector, recorder } = start(spec);
    await connector.connect();
    await connector.setTopics([b]);
    expect(peer.subscription(PROJECT, `tributary-${spec.id}-${a}`)).toBeDefined();
    await waitFor(() => (peer.subscription(PROJECT, `tributary-${spec.id}-${a}`)?.receivers.size === 0 ? true : undefined), 'the old stream to stop');
    peer.publish(PROJECT, a, 'from a');
    peer.publish(PROJECT, b, 'from b');
    await recorder.waitMessage((m) => text(m) === 'from b');
    expect(recorder.messages.map(text)).toEqual(['from b']);
  });

  it('deletes the integration subscriptions, and only those', async () => {
    const [a, b] = [topic(), topic()];
    const spec = pubSubSpec([a, b]);
    const other = pubSubSpec([a]);
    await start(spec).connector.connect();
    await start(other).connector.connect();
    await deleteGooglePubSubSubscriptions(spec, options());
    const left = [...peer.state.subscriptions.keys()];
    expect(left.filter((key) => key.includes(spec.id))).toEqual([]);
    expect(left.filter((key) => key.includes(other.id))).toHaveLength(1);
  });
});

describe('publishing', () => {
  it('publishes to the named topic with attributes', async () => {
    const name = topic();
    const { connector, recorder } = start(pubSubSpec([name]));
    await expect(connector.publish({ topic: name, payload: 'x', qos: 0, retain: false })).rejects.toBeInstanceOf(NotConnectedError);
    await connector.connect();
    await connector.publish({ topic: name, payload: 'out', qos: 0, retain: false, attributes: { source: 'tributary' } });
    expect(full(await recorder.waitMessage((m) => text(m) === 'out')).attributes).toEqual({ source: 'tributary' });
    await expect(connector.publish({ topic: 'no-such-topic', payload: 'x', qos: 0, retain: false })).rejects.toThrow('Resource not found (resource=no-such-topic). (NOT_FOUND)');
  });
});

describe('failures', () => {
  it('refuses credentials Google refuses', async () => {
    peer.refuseCredentials = true;
    const { connector } = start(pubSubSpec([topic()]));
    const error = await connector.connect().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectError);
    expect((error as Error).message).toMatch(/^Request had invalid authentication credentials\..* \(UNAUTHENTICATED\)$/);
  });

  it('refuses credentials also when there is no topic to subscribe', async () => {
    peer.refuseCredentials = true;
    await expect(start(pubSubSpec([])).connector.connect()).rejects.toThrow(/\(UNAUTHENTICATED\)$/);
  });

  it('rejects a key that is not JSON', async () => {
    await expect(start(pubSubSpec([], { keyJson: '{nope' })).connector.connect()).rejects.toThrow(new ConnectError('The service account key (keyJson) is not valid JSON'));
  });

  it('fails one attempt when nothing listens', async () => {
    const { connector } = start(pubSubSpec([topic()]), '127.0.0.1:1');
    await expect(connector.connect()).rejects.toThrow(/\(UNAVAILABLE\)$/);
  });

  it('reports a stream Pub/Sub ends once', async () => {
    const { connector, recorder } = start(pubSubSpec([topic()]));
    await connector.connect();
    await waitFor(() => (peer.openStreams > 0 ? true : undefined), 'the stream');
    peer.dropStreams();
    expect(await recorder.waitDown()).toBe('The service was unable to fulfill your request. Please try again. [code=8a75] (UNAVAILABLE)');
    await expect(connector.publish({ topic: 'x', payload: 'x', qos: 0, retain: false })).rejects.toBeInstanceOf(NotConnectedError);
    await connector.close();
    expect(recorder.downs).toHaveLength(1);
  });
});

describe('describePubSubError', () => {
  it('words gRPC failures with the status name', () => {
    const error = Object.assign(new Error('7 PERMISSION_DENIED: User not authorized to perform this action.'), { code: 7, details: 'User not authorized to perform this action.' });
    expect(describePubSubError(error)).toBe('User not authorized to perform this action. (PERMISSION_DENIED)');
    expect(describePubSubError(Object.assign(new Error('8 RESOURCE_EXHAUSTED: '), { code: 8, details: '' }))).toBe('8 RESOURCE_EXHAUSTED:  (RESOURCE_EXHAUSTED)');
    expect(describePubSubError(new Error('Could not load the default credentials.'))).toBe('Could not load the default credentials.');
  });
});

/** The same connector against Google's own emulator, where the Cloud SDK is installed. */
describe.skipIf(!emulatorInstalled())('against the Google Pub/Sub emulator', () => {
  let emulator: Emulator;
  let admin: PubSub;
  beforeAll(async () => {
    emulator = await startEmulator();
    admin = new PubSub({ projectId: PROJECT, apiEndpoint: emulator.host });
  }, 60_000);
  afterAll(async () => {
    await admin?.close();
    await emulator?.close();
  });

  it('creates its subscription, receives, acks after ack(), publishes, refuses an unknown topic, and deletes its subscriptions', async () => {
    const name = `t-${randomUUID()}`;
    await admin.createTopic(name);
    const spec = pubSubSpec([name, 'no-such-topic']);
    const { connector, recorder, held } = start(spec, emulator.host);
    await connector.connect();
    expect((await recorder.waitRefused())[0]).toMatchObject({ topic: 'no-such-topic', reason: expect.stringMatching(/\(NOT_FOUND\)$/) as unknown });
    const [exists] = await admin.subscription(`tributary-${spec.id}-${name}`).exists();
    expect(exists).toBe(true);
    await connector.publish({ topic: name, payload: 'round trip', qos: 0, retain: false, attributes: { via: 'emulator' } });
    await recorder.waitMessage((m) => text(m) === 'round trip', 10_000);
    const message = held[0]!;
    expect(message).toMatchObject({ topic: name, attributes: { via: 'emulator' } });
    expect(message.sourceId).toMatch(/\w/);
    // Not acknowledged yet: the emulator would deliver it again after the deadline; ack() settles it.
    expect(typeof message.ack).toBe('function');
    message.ack?.();
    await connector.close();
    await deleteGooglePubSubSubscriptions(spec, options(emulator.host));
    const [after] = await admin.subscription(`tributary-${spec.id}-${name}`).exists();
    expect(after).toBe(false);
  });
});

if (!emulatorInstalled()) console.warn(`[tributary tests] ${EMULATOR_BIN} not installed: the Pub/Sub emulator leg is skipped.`);
