import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testConfig } from '../../src/config/config.js';
import { createContext } from '../../src/context.js';
import { loadSecretKey } from '../../src/security/keys.js';
import { storeTargets, tempDir, type OpenedStore } from '../support/stores.js';

/** Keys outlive the process: tokens survive a restart, and a wrong secret key stops the server plainly. */
describe.each(storeTargets())('keys across restarts on $name', (target) => {
  let opened: OpenedStore;
  const dataDir = tempDir();

  beforeAll(async () => {
    opened = await target.open();
  });
  afterAll(async () => {
    await opened.destroy();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('a token issued before a restart is still accepted after it', async () => {
    const first = await createContext(testConfig({ dataDir }), { store: opened.store, factories: {} });
    const user = await first.users.create('restart@example.com', 'password 123');
    const { token } = await first.auth.login('restart@example.com', 'password 123', undefined, undefined);
    const second = await createContext(testConfig({ dataDir }), { store: opened.store, factories: {} });
    await expect(second.auth.authenticate(`Bearer ${token}`)).resolves.toMatchObject({ kind: 'user', userId: user.id });
  });

  it('creates DATA_DIR 0700 and the generated key 0600, whatever the umask', async () => {
    const fresh = `${tempDir()}/nested/data`;
    const umask = process.umask(0);
    try {
      loadSecretKey(undefined, fresh);
    } finally {
      process.umask(umask);
    }
    expect(fs.statSync(fresh).mode & 0o777).toBe(0o700);
    expect(fs.statSync(`${fresh}/secret.key`).mode & 0o777).toBe(0o600);
  });

  it('refuses to start with a secret key other than the one the data was sealed with', async () => {
    await expect(createContext(testConfig({ dataDir, secretKey: Buffer.alloc(32, 7) }), { store: opened.store, factories: {} })).rejects.toThrow(
      /The secret key does not match the one this database was written with/,
    );
    // The store it was handed is still the caller's, and still open.
    await expect(opened.store.ping()).resolves.toBeUndefined();
  });
});
