import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { carries, parseStreamPath } from './particle/paths.js';
import { startParticlePeer } from './particle/peer.js';
import type { ParticlePeer } from './particle/peer.js';

describe('Particle peer paths', () => {
  it('reads every scope of the event-stream path', () => {
    expect(parseStreamPath('/v1/devices/events')).toEqual({ device: 'mine', prefix: '' });
    expect(parseStreamPath('/v1/devices/events/temp')).toEqual({ device: 'mine', prefix: 'temp' });
    expect(parseStreamPath('/v1/devices/abc/events/temp')).toEqual({ device: 'abc', prefix: 'temp' });
    expect(parseStreamPath('/v1/products/widget/events')).toEqual({ product: 'widget', prefix: '' });
    expect(parseStreamPath('/v1/orgs/acme/products/widget/devices/abc/events/t%2Fx')).toEqual({ org: 'acme', product: 'widget', device: 'abc', prefix: 't/x' });
    expect(parseStreamPath('/v1/events')).toBeUndefined();
    expect(parseStreamPath('/v1/devices/abc/other')).toBeUndefined();
  });

  it('carries by name prefix and scope', () => {
    const origin = { coreid: 'abc', deviceName: 'kitchen', product: 'widget' };
    expect(carries({ device: 'mine', prefix: 'temp' }, 'temperature', origin)).toBe(true);
    expect(carries({ device: 'mine', prefix: 'temp' }, 'humidity', origin)).toBe(false);
    expect(carries({ device: 'kitchen', prefix: '' }, 'x', origin)).toBe(true);
    expect(carries({ device: 'other', prefix: '' }, 'x', origin)).toBe(false);
    expect(carries({ product: 'gadget', prefix: '' }, 'x', origin)).toBe(false);
  });
});

describe('Particle peer over HTTP', () => {
  let peer: ParticlePeer;
  beforeAll(async () => {
    peer = await startParticlePeer({ keepAliveMs: 50 });
  });
  afterAll(() => peer.close());

  it('refuses a bad token with 401 and Particle body, by header or query', async () => {
    const byHeader = await fetch(`${peer.url}/v1/devices/events`, { headers: { Authorization: 'Bearer nope' } });
    expect(byHeader.status).toBe(401);
    expect(await byHeader.json()).toEqual({ error: 'invalid_token', error_description: 'The access token provided is invalid.' });
    const byQuery = await fetch(`${peer.url}/v1/devices/events?access_token=nope`);
    expect(byQuery.status).toBe(401);
  });

  it('streams matching events with keep-alives, and records publishes', async () => {
    const controller = new AbortController();
    const response = await fetch(`${peer.url}/v1/devices/events/temp?access_token=particle-test-token`, { signal: controller.signal });
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    const reader = response.body!.getReader();
    let text = '';
    const until = async (needle: string) => {
      while (!text.includes(needle)) text += new TextDecoder().decode((await reader.read()).value as Uint8Array);
    };
    await until(':ok');
    expect(peer.emit('humidity', '40')).toBe(0);
    expect(peer.emit('temperature', '21', { coreid: 'abc' })).toBe(1);
    await until('event: temperature');
    await until('\n\n');
    expect(text).toMatch(/data: \{"data":"21","ttl":60,"published_at":"[^"]+","coreid":"abc"\}/);
    const published = await fetch(`${peer.url}/v1/devices/events`, {
      method: 'POST',
      headers: { Authorization: 'Bearer particle-test-token', 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'name=temp-api&data=hi',
    });
    expect(await published.json()).toEqual({ ok: true });
    expect(peer.published.at(-1)).toMatchObject({ name: 'temp-api', data: 'hi' });
    await until('event: temp-api');
    controller.abort();
  });
});
