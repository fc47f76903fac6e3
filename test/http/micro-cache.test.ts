import { describe, expect, it } from 'vitest';
import { MicroCache } from '../../src/http/micro-cache.js';

const body = (text: string) => Buffer.from(text);

/** The remembered versions, the state that must stay bounded (private, so read through a cast). */
const remembered = (cache: MicroCache) => (cache as unknown as { versions: Map<string, number> }).versions.size;

describe('MicroCache', () => {
  it('serves an entry until its scope changes', () => {
    const cache = new MicroCache({ ttlMs: 1000, maxSize: 1 << 20, now: () => 0 });
    cache.set('app', 'list', cache.version('app'), body('a'));
    expect(cache.get('app', 'list')?.toString()).toBe('a');
    cache.invalidate('app');
    expect(cache.get('app', 'list')).toBeUndefined();
  });

  it('does not store what was read before a change', () => {
    const cache = new MicroCache({ ttlMs: 1000, maxSize: 1 << 20, now: () => 0 });
    const version = cache.version('app');
    cache.invalidate('app');
    cache.set('app', 'list', version, body('stale'));
    expect(cache.get('app', 'list')).toBeUndefined();
  });

  it('remembers a bounded number of changed scopes, however many change', () => {
    const cache = new MicroCache({ ttlMs: 1000, maxSize: 1 << 20, maxScopes: 100, now: () => 0 });
    for (let i = 0; i < 50_000; i++) cache.invalidate(`app${i}`);
    expect(remembered(cache)).toBeLessThanOrEqual(100);
    // The default bound holds too.
    const byDefault = new MicroCache({ ttlMs: 1000, maxSize: 1 << 20, now: () => 0 });
    for (let i = 0; i < 50_000; i++) byDefault.invalidate(`app${i}`);
    expect(remembered(byDefault)).toBeLessThanOrEqual(10_000);
  });

  it('never serves or stores stale data across forgetting', () => {
    const cache = new MicroCache({ ttlMs: 1000, maxSize: 1 << 20, maxScopes: 2, now: () => 0 });
    cache.invalidate('a');
    cache.set('a', 'list', cache.version('a'), body('a1'));
    const readBefore = cache.version('b');
    // The third changed scope empties the map.
    cache.invalidate('x');
    cache.invalidate('y');
    cache.invalidate('z');
    cache.invalidate('a');
    expect(cache.get('a', 'list')).toBeUndefined();
    cache.set('b', 'list', readBefore, body('b-stale'));
    expect(cache.get('b', 'list')).toBeUndefined();
    // And fresh reads are cached again.
    cache.set('b', 'list', cache.version('b'), body('b2'));
    expect(cache.get('b', 'list')?.toString()).toBe('b2');
  });
});
