import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/lib/ids.js';
import type { Store } from '../../src/store/store.js';
import { storeTargets, type OpenedStore } from '../support/stores.js';

/** Read positions of partitioned sources (Event Hubs), the same on SQLite and PostgreSQL. */
describe.each(storeTargets())('checkpoint contract on $name', (target) => {
  let opened: OpenedStore;
  let store: Store;
  let integrationId: string;
  let applicationId: string;

  beforeAll(async () => {
    opened = await target.open();
    store = opened.store;
    const date = new Date().toISOString();
    const ownerId = newId();
    await store.users.insert({ id: ownerId, email: 'c@example.com', passwordHash: 'x', creationDate: date, lastUpdated: date });
    applicationId = newId();
    await store.applications.insert({ id: applicationId, ownerId, name: 'app', description: null, attributes: {}, creationDate: date, lastUpdated: date });
    integrationId = newId();
    await store.integrations.insert({
      id: integrationId,
      applicationId,
      name: 'hub',
      integrationType: 'azureEventHub',
      enabled: true,
      topics: [],
      credentialName: null,
      config: {},
      secrets: null,
      status: {},
      creationDate: date,
      lastUpdated: date,
    });
  });
  afterAll(async () => opened.destroy());

  it('keeps one position per partition and source, replaced in place, gone with the integration', async () => {
    expect(await store.checkpoints.load(integrationId, 'ns/hub/$Default')).toEqual([]);
    await store.checkpoints.save(integrationId, 'ns/hub/$Default', { partitionId: '0', sequenceNumber: 4, offset: '400' });
    await store.checkpoints.save(integrationId, 'ns/hub/$Default', { partitionId: '1', sequenceNumber: -1, offset: '-1' });
    await store.checkpoints.save(integrationId, 'ns/hub/$Default', { partitionId: '0', sequenceNumber: 9, offset: '900' });
    await store.checkpoints.save(integrationId, 'ns/hub/other', { partitionId: '0', sequenceNumber: 1, offset: '1' });
    const kept = await store.checkpoints.load(integrationId, 'ns/hub/$Default');
    expect(kept.sort((a, b) => a.partitionId.localeCompare(b.partitionId))).toEqual([
      { partitionId: '0', sequenceNumber: 9, offset: '900' },
      { partitionId: '1', sequenceNumber: -1, offset: '-1' },
    ]);
    await store.integrations.delete(applicationId, integrationId);
    expect(await store.checkpoints.load(integrationId, 'ns/hub/$Default')).toEqual([]);
  });
});
