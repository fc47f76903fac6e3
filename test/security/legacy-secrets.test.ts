import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testConfig } from '../../src/config/config.js';
import { createContext } from '../../src/context.js';
import { newId } from '../../src/lib/ids.js';
import { storeTargets, tempDir, type OpenedStore } from '../support/stores.js';

/** WebSocket URLs and headers written in plain text by an earlier version are sealed at the next start, and read the same. */
describe.each(storeTargets())('sealing what an earlier version kept in plain text, on $name', (target) => {
  let opened: OpenedStore;
  const dataDir = tempDir();
  beforeAll(async () => {
    opened = await target.open();
  });
  afterAll(async () => {
    await opened.destroy();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('seals a legacy WebSocket row at start and still returns its config whole', async () => {
    const { store } = opened;
    const date = new Date().toISOString();
    const ownerId = newId();
    await store.users.insert({ id: ownerId, email: 'legacy@example.com', passwordHash: 'x', creationDate: date, lastUpdated: date });
    const applicationId = newId();
    await store.applications.insert({ id: applicationId, ownerId, name: 'legacy', description: null, attributes: {}, creationDate: date, lastUpdated: date });
    const id = newId();
    const config = { url: 'wss://alice:s3cret1@ws.example.com/feed?token=s3cret2', headers: [{ headerKey: 'Authorization', headerValue: 'Bearer s3cret3' }] };
    // As an earlier version stored it: url and headers in the plain config, nothing sealed.
    await store.integrations.insert({
      id,
      applicationId,
      name: 'old',
      integrationType: 'websocket',
      enabled: false,
      topics: [],
      credentialName: null,
      config,
      secrets: null,
      status: {},
      creationDate: date,
      lastUpdated: date,
    });

    const ctx = await createContext(testConfig({ dataDir }), { store, factories: {} });
    const row = await store.integrations.findById(applicationId, id);
    expect(JSON.stringify(row?.config)).not.toContain('s3cret');
    expect(row?.secrets).toBeTypeOf('string');
    const { spec } = await ctx.integrations.get(applicationId, id);
    expect(spec.config).toEqual(config);
  });
});
