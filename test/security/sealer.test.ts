import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { createSealer, openNow } from '../../src/security/sealer.js';
import { createThreadedSealer } from '../../src/security/sealer-thread.js';

const key = randomBytes(32);

describe('sealer', () => {
  const threaded = createThreadedSealer(key);
  const local = createSealer(key);
  afterAll(() => threaded.close());

  it('seals on its thread exactly as on the calling one: each opens the other', async () => {
    const fromThread = await threaded.seal('{"password":"p"}', 'integration:a');
    const fromHere = await local.seal('{"password":"p"}', 'integration:a');
    expect(fromThread).toMatch(/^v1\.[\w-]{16}\.[\w-]{22}\.[\w-]+$/);
    expect(local.open(fromThread, 'integration:a')).toBe('{"password":"p"}');
    expect(threaded.open(fromHere, 'integration:a')).toBe('{"password":"p"}');
  });

  it('binds a sealed value to its associated data and its key', async () => {
    const sealed = await threaded.seal('secret', 'integration:a');
    expect(() => threaded.open(sealed, 'integration:b')).toThrow();
    expect(() => openNow(randomBytes(32), sealed, 'integration:a')).toThrow();
  });

  it('answers every seal of a burst with its own value and a fresh IV', async () => {
    const texts = Array.from({ length: 500 }, (_, i) => `secret-${i}-${'x'.repeat(i % 50)}`);
    const sealed = await Promise.all(texts.map((text, i) => threaded.seal(text, `integration:${i}`)));
    sealed.forEach((value, i) => expect(threaded.open(value, `integration:${i}`)).toBe(texts[i]));
    expect(new Set(sealed.map((value) => value.split('.')[1])).size).toBe(500);
  });

  it('refuses keys that are not 32 bytes and seals nothing once closed', async () => {
    expect(() => createThreadedSealer(randomBytes(16))).toThrow(/32 bytes/);
    const closing = createThreadedSealer(key);
    await closing.close();
    await expect(closing.seal('x', 'y')).rejects.toThrow(/closed/);
  });
});
