import { describe, expect, it } from 'vitest';
import { Lru } from '../../src/lib/lru.js';
import { foldCase, globToLike } from '../../src/lib/glob.js';
import { validateTopicFilter, validateTopicName } from '../../src/lib/mqtt-topics.js';

describe('Lru', () => {
  it('never holds more than its capacity and keeps what is used', () => {
    const lru = new Lru<number, number>(100);
    for (let i = 0; i < 1000; i++) {
      lru.set(i, i);
      expect(lru.get(0)).toBe(0); // used all along: never forgotten
      expect(lru.size).toBeLessThanOrEqual(100);
    }
    expect(lru.get(999)).toBe(999);
    expect(lru.get(500)).toBeUndefined();
  });

  it('replaces, deletes and deletes by predicate', () => {
    const lru = new Lru<string, number>(10);
    lru.set('a', 1);
    lru.set('a', 2);
    lru.set('b', 3);
    expect(lru.get('a')).toBe(2);
    lru.delete('a');
    expect(lru.get('a')).toBeUndefined();
    lru.deleteWhere((v) => v === 3);
    expect(lru.get('b')).toBeUndefined();
  });
});

describe('glob filters', () => {
  it('translate to LIKE with only * special', () => {
    expect(globToLike('My*Int_%\\')).toBe('my%int\\_\\%\\\\');
    expect(foldCase('ÄBC')).toBe('äbc');
  });
});

describe('MQTT topics', () => {
  it('accept valid filters and refuse misplaced wildcards', () => {
    for (const ok of ['a', 'a/b', '+', '#', 'a/+/c', 'a/#', '/', '+/+']) expect(validateTopicFilter(ok), ok).toBeUndefined();
    for (const bad of ['', 'a#', 'a/#/b', 'a+', 'a/b+', '#/a', 'x\u0000']) expect(validateTopicFilter(bad), bad).toBeDefined();
    expect(validateTopicFilter('a'.repeat(65535))).toBeUndefined();
    expect(validateTopicFilter('a'.repeat(65536))).toMatch(/65535 bytes/);
    // 22,000 characters but 66,000 bytes in UTF-8.
    expect(validateTopicFilter('€'.repeat(22000) + '/#')).toMatch(/65535 bytes/);
    expect(validateTopicFilter('€'.repeat(21845))).toBeUndefined();
    expect(validateTopicName('a/+')).toMatch(/wildcards/);
    expect(validateTopicName('a/b')).toBeUndefined();
  });
});
