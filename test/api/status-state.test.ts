import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, mqttIntegration, type TestApp } from '../support/app.js';
import { storeTargets } from '../support/stores.js';

/** SPEC §9: every integration's status says its state, and the API carries what the runtime wrote. */
describe.each(storeTargets())('status.state through the API on $name', (target) => {
  let t: TestApp;
  let appId: string;
  beforeAll(async () => {
    t = await buildTestApp(target);
    appId = await t.createApplication();
  });
  afterAll(async () => t.close());

  it('is disabled for a disabled integration, connecting before the runtime reports, and passes state and node through', async () => {
    const disabled = await t.request('POST', `/applications/${appId}/integrations`, { body: { ...mqttIntegration(), enabled: false } });
    expect(disabled.json<{ status: { state: string } }>().status.state).toBe('disabled');
    const enabled = await t.request('POST', `/applications/${appId}/integrations`, { body: mqttIntegration() });
    const id = enabled.json<{ id: string; status: { state: string } }>().id;
    expect(enabled.json<{ status: { state: string } }>().status.state).toBe('connecting');
    await t.ctx.store.integrations.writeStatuses(new Map([[id, { state: 'reconnecting', nextAttempt: 1_700_000_000_000, node: 'node-a', disconnectInfo: { ts: 1, error: 'Connection refused' } }]]));
    const got = await t.request('GET', `/applications/${appId}/integrations/${id}`);
    expect(got.json<{ status: unknown }>().status).toEqual({ state: 'reconnecting', nextAttempt: 1_700_000_000_000, node: 'node-a', disconnectInfo: { ts: 1, error: 'Connection refused' } });
    const list = await t.request('GET', `/applications/${appId}/integrations?sortField=creationDate`);
    expect(list.json<{ items: { status: { state: string } }[] }>().items.map((i) => i.status.state)).toEqual(['disabled', 'reconnecting']);
  });
});
