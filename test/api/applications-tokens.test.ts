import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, mqttIntegration, type TestApp } from '../support/app.js';
import { losantSchemaErrors } from '../support/losant-schemas.js';
import { storeTargets } from '../support/stores.js';

describe.each(storeTargets())('applications and API tokens on $name', (target) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp(target);
  });
  afterAll(async () => t.close());

  it('creates, reads, lists, patches and deletes applications', async () => {
    const created = await t.request('POST', '/applications', { body: { name: 'Plant', description: 'north site', endpointSlug: 'plant-north', globals: [{ key: 'k', json: '1' }] } });
    expect(created.statusCode).toBe(201);
    const app = created.json<{ id: string; applicationId: string; ownerType: string }>();
    expect(app).toMatchObject({ name: 'Plant', description: 'north site', endpointSlug: 'plant-north', applicationId: app.id, ownerType: 'user', _type: 'application' });
    expect(app).toMatchObject({ globals: [{ key: 'k', json: '1', cloudOnly: false }], summary: { integrationCount: 0, apiTokenCount: 0 } });
    expect(losantSchemaErrors('application', app)).toEqual([]);

    await t.request('POST', `/applications/${app.id}/integrations`, { body: mqttIntegration() });
    const got = await t.request('GET', `/applications/${app.id}`);
    expect(got.json()).toMatchObject({ summary: { integrationCount: 1, apiTokenCount: 0 } });

    const list = await t.request('GET', '/applications?filterField=name&filter=pla*');
    expect(list.json()).toMatchObject({ count: 1, totalCount: 1, _type: 'applications' });
    expect(losantSchemaErrors('applications', list.json())).toEqual([]);

    const patched = await t.request('PATCH', `/applications/${app.id}`, { body: { name: 'Plant 2' } });
    expect(patched.json()).toMatchObject({ name: 'Plant 2', description: 'north site' });

    expect((await t.request('PATCH', `/applications/${app.id}`, { body: { orgId: '575ec8687ae143cd83dc4a97' } })).json()).toEqual({ type: 'Validation', message: 'orgId is not an allowed field' });
    expect((await t.request('DELETE', `/applications/${app.id}`)).json()).toEqual({ success: true });
    expect((await t.request('GET', `/applications/${app.id}`)).statusCode).toBe(404);
    expect((await t.request('GET', `/applications/${app.id}/integrations`)).json()).toEqual({ type: 'NotFound', message: 'Application was not found' });
  });

  describe('API tokens', () => {
    let appId: string;
    beforeAll(async () => {
      appId = await t.createApplication('tokens');
    });

    it('returns the token string once, defaulting scope to all.Application', async () => {
      const res = await t.request('POST', `/applications/${appId}/tokens`, { body: { name: 'ci', description: 'for CI' } });
      expect(res.statusCode).toBe(201);
      const token = res.json<{ id: string; token: string; scope: string[]; status: string; ownerId: string; creatorType: string }>();
      expect(token).toMatchObject({ scope: ['all.Application'], status: 'active', ownerId: appId, ownerType: 'application', creatorType: 'user', creatorName: 'admin@example.com', _type: 'apiToken' });
      expect(token.token.split('.')).toHaveLength(3);
      expect(losantSchemaErrors('apiToken', token)).toEqual([]);

      const got = await t.request('GET', `/applications/${appId}/tokens/${token.id}`);
      expect(got.statusCode).toBe(200);
      expect(got.json()).not.toHaveProperty('token');
      const list = await t.request('GET', `/applications/${appId}/tokens`);
      expect(list.json()).toMatchObject({ ownerId: appId, ownerType: 'application', _type: 'apiTokens' });
      expect(JSON.stringify(list.json())).not.toContain(token.token);
      expect(losantSchemaErrors('apiTokens', list.json())).toEqual([]);
    });

    it('authenticates with the token, confined to its application', async () => {
      const { token } = await t.createToken(appId);
      expect((await t.request('GET', `/applications/${appId}/integrations`, { token })).statusCode).toBe(200);
      const other = await t.createApplication('other');
      expect((await t.request('GET', `/applications/${other}/integrations`, { token })).json()).toMatchObject({ type: 'Forbidden' });
      expect((await t.request('GET', '/applications', { token })).statusCode).toBe(403);
      expect((await t.request('POST', '/applications', { token, body: { name: 'x' } })).statusCode).toBe(403);
    });

    it('revokes at once when set inactive or deleted', async () => {
      const { id, token } = await t.createToken(appId);
      const url = `/applications/${appId}/integrations`;
      expect((await t.request('GET', url, { token })).statusCode).toBe(200);
      expect((await t.request('PATCH', `/applications/${appId}/tokens/${id}`, { body: { status: 'inactive' } })).statusCode).toBe(200);
      expect((await t.request('GET', url, { token })).json()).toEqual({ type: 'Unauthorized', message: 'The token is inactive' });
      expect((await t.request('PATCH', `/applications/${appId}/tokens/${id}`, { body: { status: 'active' } })).statusCode).toBe(200);
      expect((await t.request('GET', url, { token })).statusCode).toBe(200);
      expect((await t.request('DELETE', `/applications/${appId}/tokens/${id}`)).json()).toEqual({ success: true });
      expect((await t.request('GET', url, { token })).json()).toEqual({ type: 'Unauthorized', message: 'The token has been deleted' });
    });

    it('honours expirationDate', async () => {
      const past = await t.request('POST', `/applications/${appId}/tokens`, { body: { name: 'old', expirationDate: '2000-01-01T00:00:00.000Z' } });
      expect(past.json()).toEqual({ type: 'Validation', message: 'expirationDate must be in the future' });
      const soon = new Date(Date.now() + 1500).toISOString();
      const { token } = await t.createToken(appId, { name: 'brief', expirationDate: soon });
      expect((await t.request('GET', `/applications/${appId}`, { token })).statusCode).toBe(200);
      await new Promise((r) => setTimeout(r, 1700));
      expect((await t.request('GET', `/applications/${appId}`, { token })).json()).toEqual({ type: 'Unauthorized', message: 'The token has expired' });
    });

    it('refuses scopes that would reach beyond the application, and widening by a narrow token', async () => {
      const wide = await t.request('POST', `/applications/${appId}/tokens`, { body: { name: 'x', scope: ['all.User'] } });
      expect(wide.statusCode).toBe(400);
      expect(wide.json<{ message: string }>().message).toMatch(/^scope\[0\] is not an application scope/);
      const { token } = await t.createToken(appId, { name: 'minter', scope: ['applicationApiTokens.post', 'integrations.get'] });
      const escalate = await t.request('POST', `/applications/${appId}/tokens`, { token, body: { name: 'y', scope: ['all.Application'] } });
      expect(escalate.json()).toEqual({ type: 'Forbidden', message: 'A token cannot grant scopes it does not hold: all.Application' });
      const narrower = await t.request('POST', `/applications/${appId}/tokens`, { token, body: { name: 'z', scope: ['integrations.get'] } });
      expect(narrower.statusCode).toBe(201);
      expect(narrower.json()).toMatchObject({ creatorType: 'apiToken' });
      // A wildcard covers the actions of its resource, and only those.
      const { token: wildcard } = await t.createToken(appId, { name: 'wild', scope: ['applicationApiTokens.*', 'integration.*'] });
      expect((await t.request('POST', `/applications/${appId}/tokens`, { token: wildcard, body: { name: 'w', scope: ['integration.get', 'integration.publish'] } })).statusCode).toBe(201);
      expect((await t.request('POST', `/applications/${appId}/tokens`, { token: wildcard, body: { name: 'w', scope: ['integrations.get'] } })).statusCode).toBe(403);
    });

    it('removes the tokens of a deleted application at once', async () => {
      const doomed = await t.createApplication('doomed');
      const { token } = await t.createToken(doomed);
      expect((await t.request('GET', `/applications/${doomed}`, { token })).statusCode).toBe(200);
      await t.request('DELETE', `/applications/${doomed}`);
      expect((await t.request('GET', `/applications/${doomed}`, { token })).statusCode).toBe(401);
    });
  });
});
