import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/store.js';
import { UserService } from '../../src/users/service.js';
import { storeTargets, type OpenedStore } from '../support/stores.js';

describe.each(storeTargets())('the first user on $name', (target) => {
  let opened: OpenedStore;
  let store: Store;
  beforeAll(async () => {
    opened = await target.open();
    store = opened.store;
  });
  afterAll(async () => opened?.destroy());

  it('is made once when two nodes start together on a new database, and neither fails', async () => {
    const nodes = [new UserService(store, () => {}), new UserService(store, () => {})];
    const made = await Promise.all(nodes.map((users) => users.ensureAdmin('admin@example.com', 'a long enough password')));
    expect(made.filter((m) => m !== undefined)).toEqual([{ email: 'admin@example.com' }]);
    expect(await store.users.count()).toBe(1);
  });
});
