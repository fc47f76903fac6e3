import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createSealer } from '../../src/security/sealer.js';

const key = randomBytes(32);

describe('sealer', () => {
  const sealer = createSealer(key);

  it('seals into v1.<iv>.<tag>.<ciphertext> and opens what it sealed', () => {
    const sealed = sealer.seal('{"password":"p"}', 'integration:a');
    expect(sealed).toMatch(/^v1\.[\w-]{16}\.[\w-]{22}\.[\w-]+$/);
    expect(sealed).not.toContain('password');
    expect(sealer.open(sealed, 'integration:a')).toBe('{"password":"p"}');
    // Another sealer with the same key (a restart) opens it too.
    expect(createSealer(key).open(sealed, 'integration:a')).toBe('{"password":"p"}');
  });

  it('binds a sealed value to its associated data and its key', () => {
    const sealed = sealer.seal('secret', 'integration:a');
    expect(() => sealer.open(sealed, 'integration:b')).toThrow();
    expect(() => createSealer(randomBytes(32)).open(sealed, 'integration:a')).toThrow();
  });

  it('refuses a tampered value and one that is not sealed at all', () => {
    const [version, iv, tag, ciphertext] = sealer.seal('secret', 'x').split('.');
    const flipped = ciphertext!.startsWith('A') ? `B${ciphertext!.slice(1)}` : `A${ciphertext!.slice(1)}`;
    expect(() => sealer.open([version, iv, tag, flipped].join('.'), 'x')).toThrow();
    expect(() => sealer.open('plain text', 'x')).toThrow(/Not a sealed value/);
  });

  it('gives every seal a fresh IV, across refills of the IV pool', () => {
    const texts = Array.from({ length: 5000 }, (_, i) => `secret-${i}-${'x'.repeat(i % 50)}`);
    const sealed = texts.map((text, i) => sealer.seal(text, `integration:${i}`));
    sealed.forEach((value, i) => expect(sealer.open(value, `integration:${i}`)).toBe(texts[i]));
    expect(new Set(sealed.map((value) => value.split('.')[1])).size).toBe(5000);
  });

  it('refuses keys that are not 32 bytes', () => {
    expect(() => createSealer(randomBytes(16))).toThrow(/32 bytes/);
  });
});
