import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConnectError, NotConnectedError } from '../../../src/runtime/connector.js';
import type { Connector, ConnectorOptions } from '../../../src/runtime/connector.js';
import type { IntegrationSpec } from '../../../src/domain/integration-spec.js';
import { createParticleConnector } from '../../../src/runtime/connectors/particle/connector.js';
import { parseEvent } from '../../../src/runtime/connectors/particle/event.js';
import { describeParticleResponse } from '../../../src/runtime/connectors/particle/reasons.js';
import { SseParser } from '../../../src/runtime/connectors/particle/sse.js';
import { EventFilter, streamPrefix } from '../../../src/runtime/connectors/particle/topics.js';
import { startParticlePeer } from '../../peers/particle/peer.js';
import type { ParticlePeer } from '../../peers/particle/peer.js';
import { particleSpec } from '../../peers/particle/spec.js';
import { recordEvents, waitFor } from '../../support/wait.js';
import type { EventRecorder } from '../../support/wait.js';

const open: Connector[] = [];
let peer: ParticlePeer;

beforeAll(async () => {
  peer = await startParticlePeer({ keepAliveMs: 100 });
});
afterAll(() => peer.close());
afterEach(async () => {
  await Promise.all(open.splice(0).map((connector) => connector.close()));
});

function start(spec: IntegrationSpec, options: Partial<ConnectorOptions> = {}): { connector: Connector; recorder: EventRecorder } {
  const recorder = recordEvents();
  const connector = createParticleConnector(spec, recorder.events, { connectTimeoutMs: 3000, keepaliveSeconds: 5, particleApiUrl: peer.url, ...options });
  open.push(connector);
  return { connector, recorder };
}

const names = (recorder: EventRecorder) => recorder.messages.map((m) => m.topic);

describe('receiving', () => {
  it('reports an event as topic = name, message = data, with coreid, published_at and ttl', async () => {
    const { connector, recorder } = start(particleSpec(['temperature']));
    await connector.connect();
    expect(peer.streams.at(-1)).toMatchObject({ path: '/v1/devices/events/temperature', token: 'particle-test-token' });
    peer.emit('temperature', '21.5', { coreid: 'abc123', ttl: 30, publishedAt: '2026-01-01T00:00:00.000Z' });
    const message = await recorder.waitMessage(() => true);
    expect(message).toEqual({ topic: 'temperature', payload: '21.5', binary: false, attributes: { coreid: 'abc123', published_at: '2026-01-01T00:00:00.000Z', ttl: '30' } });
    expect('ack' in message).toBe(false);
  });

  it('matches names exactly, a trailing * as a prefix, on one stream for several topics', async () => {
    const { connector, recorder } = start(particleSpec(['temp*', 'door']));
    await connector.connect();
    expect(peer.streams.at(-1)?.path).toBe('/v1/devices/events');
    // One stream, in order: once `temp` (last) arrived, the others were seen or dropped.
    for (const name of ['temperature', 'doorbell', 'door', 'humidity', 'temp']) peer.emit(name, 'x');
    await recorder.waitMessage((m) => m.topic === 'temp');
    expect(names(recorder)).toEqual(['temperature', 'door', 'temp']);
  });

  it('takes * alone, or no topics, as every event', async () => {
    for (const topics of [['*'], []]) {
      const { connector, recorder } = start(particleSpec(topics));
      await connector.connect();
      peer.emit('anything', 'x');
      await recorder.waitMessage((m) => m.topic === 'anything');
    }
  });

  it('asks for the configured org, product and device', async () => {
    const { connector, recorder } = start(particleSpec(['t'], { orgSlugOrId: 'acme', productSlugOrId: 'widget', deviceNameOrId: 'kitchen' }));
    await connector.connect();
    expect(peer.streams.at(-1)?.path).toBe('/v1/orgs/acme/products/widget/devices/kitchen/events/t');
    peer.emit('t', 'other device', { coreid: 'x', deviceName: 'hall', product: 'widget', org: 'acme' });
    peer.emit('t', 'ours', { coreid: 'y', deviceName: 'kitchen', product: 'widget', org: 'acme' });
    await recorder.waitMessage(() => true);
    expect(recorder.messages.map((m) => m.payload)).toEqual(['ours']);
  });

  it('widens the stream for new topics before closing the old one', async () => {
    const { connector, recorder } = start(particleSpec(['temp*']));
    await connector.connect();
    const first = peer.streams.at(-1)!;
    expect(first.path).toBe('/v1/devices/events/temp');
    await connector.setTopics(['temp*', 'door']);
    const second = peer.streams.at(-1)!;
    expect(second.path).toBe('/v1/devices/events');
    await waitFor(() => (first.open ? undefined : true), 'the old stream to close');
    peer.emit('door', 'open');
    peer.emit('temperature', '20');
    await recorder.waitMessage((m) => m.topic === 'temperature');
    expect(names(recorder)).toEqual(['door', 'temperature']);
    // Narrowing keeps the wide stream and filters.
    await connector.setTopics(['door']);
    expect(peer.streams.at(-1)).toBe(second);
    peer.emit('temperature', '21');
    peer.emit('door', 'shut');
    await recorder.waitMessage((m) => m.payload === 'shut');
    expect(names(recorder)).toEqual(['door', 'temperature', 'door']);
  });

  it('calls alive on keep-alives', async () => {
    const { connector, recorder } = start(particleSpec());
    await connector.connect();
    await recorder.waitAlive();
  });
});

describe('publishing', () => {
  it('publishes an event named by the topic', async () => {
    const { connector } = start(particleSpec(['x']));
    await expect(connector.publish({ topic: 'led', payload: 'on', qos: 0, retain: false })).rejects.toBeInstanceOf(NotConnectedError);
    await connector.connect();
    await connector.publish({ topic: 'led', payload: Buffer.from('on'), qos: 0, retain: false });
    expect(peer.published.at(-1)).toEqual({ path: '/v1/devices/events', name: 'led', data: 'on', token: 'particle-test-token' });
  });

  it('publishes to the product when one is configured, and rejects in Particle words', async () => {
    const { connector } = start(particleSpec([], { productSlugOrId: 'widget' }));
    await connector.connect();
    await connector.publish({ topic: 'led', payload: 'off', qos: 0, retain: false });
    expect(peer.published.at(-1)?.path).toBe('/v1/products/widget/events');
    await expect(connector.publish({ topic: '', payload: 'x', qos: 0, retain: false })).rejects.toThrow('Event name is required (HTTP 400)');
  });
});

describe('failures', () => {
  it('refuses a bad token in Particle words', async () => {
    const { connector } = start(particleSpec([], { accessToken: 'wrong' }));
    const error = await connector.connect().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectError);
    expect((error as Error).message).toBe('The access token provided is invalid. (HTTP 401 invalid_token)');
  });

  it('says who refused the connection when nothing listens', async () => {
    const { connector } = start(particleSpec(), { particleApiUrl: 'http://127.0.0.1:1' });
    await expect(connector.connect()).rejects.toThrow('Connection refused by 127.0.0.1:1 (ECONNREFUSED)');
  });

  it('reports a stream Particle ends once', async () => {
    const { connector, recorder } = start(particleSpec());
    await connector.connect();
    peer.dropStreams();
    expect(await recorder.waitDown()).toMatch(/\w/);
    await expect(connector.publish({ topic: 'x', payload: 'x', qos: 0, retain: false })).rejects.toBeInstanceOf(NotConnectedError);
    await connector.close();
    expect(recorder.downs).toHaveLength(1);
  });

  it('ends a silent stream after two keepalive periods', async () => {
    const quiet = await startParticlePeer({ keepAliveMs: 0 });
    try {
      const { connector, recorder } = start(particleSpec(), { particleApiUrl: quiet.url, keepaliveSeconds: 0.2 });
      await connector.connect();
      expect(await recorder.waitDown()).toBe('Keepalive timeout');
    } finally {
      await quiet.close();
    }
  });
});

describe('pieces', () => {
  it('frames SSE across chunk boundaries, comments and CRLF', () => {
    const seen: [string, string][] = [];
    const parser = new SseParser((event, data) => seen.push([event, data]));
    parser.push(':ok\n\nevent: a\r');
    parser.push('\ndata: {"x":1}\n');
    parser.push('\nevent:b\ndata:one\ndata: two\n\ndata: plain\n\n');
    expect(seen).toEqual([
      ['a', '{"x":1}'],
      ['b', 'one\ntwo'],
      ['message', 'plain'],
    ]);
  });

  it('filters names and finds the shared stream prefix', () => {
    const filter = new EventFilter(['temp*', 'door']);
    expect(['temperature', 'temp', 'door', 'doorbell', 'te'].map((name) => filter.matches(name))).toEqual([true, true, true, false, false]);
    expect(new EventFilter(['*']).matches('x')).toBe(true);
    expect(streamPrefix(['temp*'])).toBe('temp');
    expect(streamPrefix(['temp-in', 'temp-out*'])).toBe('temp-');
    expect(streamPrefix(['temp', 'door'])).toBe('');
    expect(streamPrefix([])).toBe('');
  });

  it('reads event data lines, and keeps what is not Particle JSON whole', () => {
    expect(parseEvent('{"data":null,"ttl":60,"coreid":"a"}')).toEqual({ payload: '', attributes: { ttl: '60', coreid: 'a' } });
    expect(parseEvent('{"data":{"t":1}}')).toEqual({ payload: '{"t":1}', attributes: {} });
    expect(parseEvent('not json')).toEqual({ payload: 'not json' });
  });

  it('words Particle refusals', () => {
    expect(describeParticleResponse(403, '{"ok":false,"error":"Permission Denied","info":"I didn\'t recognize that device name or ID"}')).toBe(
      "I didn't recognize that device name or ID (HTTP 403 Permission Denied)",
    );
    expect(describeParticleResponse(404, '{"error":"Not Found"}')).toBe('Not Found (HTTP 404)');
    expect(describeParticleResponse(502, '<html>')).toBe('Particle answered HTTP 502 Bad Gateway');
  });
});
