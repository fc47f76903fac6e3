import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testConfig } from '../../src/config/config.js';
import { createContext, type Context } from '../../src/context.js';
import { openStore } from '../../src/store/open.js';
import type { Store } from '../../src/store/store.js';
import { services } from '../support/services.js';
import { dropSchema, tempDir } from '../support/stores.js';
import { waitFor } from '../support/wait.js';

const url = services().postgresUrl;

/** Two nodes on one PostgreSQL schema: what one changes, the other's caches must let go of. */
describe.runIf(url)('PostgreSQL change feed across nodes', () => {
  const schema = `test_feed_${randomBytes(4).toString('hex')}`;
  const dataDir = tempDir();
  let a: Context;
  let b: Context;
  let storeA: Store;
  let storeB: Store;

  beforeAll(async () => {
    storeA = await openStore({ kind: 'postgres', url: url!, schema, poolSize: 2 });
    storeB = await openStore({ kind: 'postgres', url: url!, schema, poolSize: 2 });
    // Both nodes share the secret key (same DATA_DIR), as a cluster must.
    const config = testConfig({ dataDir });
    a = await createContext(config, { store: storeA, factories: {}, logger: pino({ level: 'silent' }) });
    b = await createContext(config, { store: storeB, factories: {}, logger: pino({ level: 'silent' }) });
  });

  afterAll(async () => {
    await storeA.close();
    await storeB.close();
    await dropSchema(url!, schema);
  });

  it('a row cached on one node follows a change made on the other', async () => {
    expect(storeA.changes?.live).toBe(true);
    const user = await a.users.create('feed@example.com', 'password 123');
    const app = await a.applications.create(user.id, { name: 'feed' });
    const { row } = await a.integrations.create(app.id, { name: 'before', integrationType: 'websocket', enabled: false, websocketConfig: { url: 'ws://x' } });
    expect((await a.integrations.get(app.id, row.id)).row.name).toBe('before');
    await b.integrations.update(app.id, row.id, { name: 'after' });
    await waitFor(async () => ((await a.integrations.get(app.id, row.id)).row.name === 'after' ? true : undefined), 'node A to see the new name', 3000);
    await storeB.integrations.writeStatuses(new Map([[row.id, { connectInfo: { ts: 42 } }]]));
    await waitFor(async () => ((await a.integrations.get(app.id, row.id)).row.status.connectInfo?.ts === 42 ? true : undefined), 'node A to see the status', 3000);
    await b.integrations.delete(app.id, row.id);
    await waitFor(async () => ((await storeA.integrations.findById(app.id, row.id)) === undefined ? true : undefined), 'node A to see the delete', 3000);
  });

  it('a token revoked on one node is refused by the other at once', async () => {
    const user = await a.users.create('tokens@example.com', 'password 123');
    const app = await a.applications.create(user.id, { name: 'tokens' });
    const { row, token } = await a.tokens.create(app.id, { kind: 'user', userId: user.id, scopes: ['all.User'] }, { name: 't' });
    await expect(a.auth.authenticate(`Bearer ${token}`)).resolves.toMatchObject({ kind: 'application' });
    await b.tokens.update(app.id, row.id, { status: 'inactive' }, { kind: 'user', userId: user.id, scopes: ['all.User'] });
    await waitFor(async () => ((await a.auth.authenticate(`Bearer ${token}`).catch((e: Error) => e.message)) === 'The token is inactive' ? true : undefined), 'node A to refuse the token', 2000, 10);
  });
});
