import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../src/security/passwords.js';
import { ADMIN, buildTestApp, type TestApp } from '../support/app.js';
import { storeTargets } from '../support/stores.js';
import { waitFor } from '../support/wait.js';

/** SPEC §10: no narrower token widens itself or revives a wider one; user tokens are capped and revocable. */

const USER_TTL_MAX = 3600;

describe.each(storeTargets().slice(0, 1))('token powers on $name', (target) => {
  let t: TestApp;
  let base: string;
  let appId: string;

  const call = async (method: string, path: string, token: string, body?: unknown) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const login = async (body: Record<string, unknown>) => {
    const res = await fetch(`${base}/auth/user`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...ADMIN, ...body }) });
    expect(res.status).toBe(200);
    return ((await res.json()) as { token: string }).token;
  };
  const expiresIn = (token: string) => (JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { exp: number }).exp - Date.now() / 1000;

  beforeAll(async () => {
    t = await buildTestApp(target, { userTokenTtl: 30 * 24 * 3600, userTokenTtlMax: USER_TTL_MAX });
    appId = await t.createApplication('powers');
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  });
  afterAll(async () => t?.close());

  it('a token holding only applicationApiToken.patch cannot set a wider token active again, nor inactive', async () => {
    const wide = await t.createToken(appId, { name: 'wide', scope: ['all.Application'], status: 'inactive' });
    const patcher = await t.createToken(appId, { name: 'patcher', scope: ['applicationApiToken.patch'] });
    const revive = await call('PATCH', `/applications/${appId}/tokens/${wide.id}`, patcher.token, { status: 'active' });
    expect(revive.status).toBe(403);
    expect(revive.body).toMatchObject({ type: 'Forbidden', message: expect.stringContaining('all.Application') as unknown });
    expect((await call('GET', `/applications/${appId}/integrations`, wide.token)).status).toBe(401);
    expect((await call('GET', `/applications/${appId}/tokens/${wide.id}`, t.userToken)).body.status).toBe('inactive');

    const active = await t.createToken(appId, { name: 'wide and active', scope: ['all.Application'] });
    expect((await call('PATCH', `/applications/${appId}/tokens/${active.id}`, patcher.token, { status: 'inactive' })).status).toBe(403);
    expect((await call('GET', `/applications/${appId}/integrations`, active.token)).status).toBe(200);
    // Its name is not one of its powers.
    expect((await call('PATCH', `/applications/${appId}/tokens/${active.id}`, patcher.token, { description: 'renamed' })).status).toBe(200);
  });

  it('a token holding every scope of another may change it, and the change takes effect', async () => {
    const narrow = await t.createToken(appId, { name: 'narrow', scope: ['integrations.get'], status: 'inactive' });
    const admin = await t.createToken(appId, { name: 'token admin', scope: ['applicationApiToken.patch', 'integrations.*'] });
    expect((await call('PATCH', `/applications/${appId}/tokens/${narrow.id}`, admin.token, { status: 'active' })).status).toBe(200);
    expect((await call('GET', `/applications/${appId}/integrations`, narrow.token)).status).toBe(200);
  });

  it('deleting a token needs its scopes too', async () => {
    const wide = await t.createToken(appId, { name: 'wide', scope: ['all.Application'] });
    const deleter = await t.createToken(appId, { name: 'deleter', scope: ['applicationApiToken.delete'] });
    expect((await call('DELETE', `/applications/${appId}/tokens/${wide.id}`, deleter.token)).status).toBe(403);
    expect((await call('GET', `/applications/${appId}/integrations`, wide.token)).status).toBe(200);
    const narrow = await t.createToken(appId, { name: 'narrow', scope: ['applicationApiToken.delete'] });
    expect((await call('DELETE', `/applications/${appId}/tokens/${narrow.id}`, deleter.token)).status).toBe(200);
    expect((await call('DELETE', `/applications/${appId}/tokens/${wide.id}`, t.userToken)).status).toBe(200);
  });

  it('caps a requested tokenTTL and USER_TOKEN_TTL at USER_TOKEN_TTL_MAX', async () => {
    expect(expiresIn(await login({ tokenTTL: 10 * 365 * 24 * 3600 }))).toBeLessThanOrEqual(USER_TTL_MAX);
    expect(expiresIn(await login({}))).toBeLessThanOrEqual(USER_TTL_MAX);
    expect(expiresIn(await login({ tokenTTL: 600 }))).toBeLessThanOrEqual(600);
    expect(expiresIn(await login({ tokenTTL: 600 }))).toBeGreaterThan(590);
  });

  it("a new password revokes the user's existing tokens", async () => {
    const before = await login({});
    await t.ctx.users.setPassword(ADMIN.email, 'a brand new password');
    const refused = await call('GET', '/applications', before);
    expect(refused.status).toBe(401);
    expect(refused.body).toMatchObject({ type: 'Unauthorized', message: expect.stringMatching(/password has changed/) as unknown });
    const after = await login({ password: 'a brand new password' });
    expect((await call('GET', '/applications', after)).status).toBe(200);
    await t.ctx.users.setPassword(ADMIN.email, ADMIN.password);
  });

  it('a new password set by another process (the CLI) revokes the tokens in use here within a second', async () => {
    const token = await login({});
    expect((await call('GET', '/applications', token)).status).toBe(200);
    const user = (await t.ctx.store.users.findByEmail(ADMIN.email))!;
    // Straight to the store, as `tributary users set-password` does from its own process: nothing here hears of it.
    await t.ctx.store.users.updatePassword(user.id, await hashPassword('changed elsewhere'), new Date().toISOString());
    const changedAt = Date.now();
    await waitFor(async () => ((await call('GET', '/applications', token)).status === 401 ? true : undefined), 'the token to be refused', 1000);
    expect(Date.now() - changedAt).toBeLessThan(1000);
    await t.ctx.users.setPassword(ADMIN.email, ADMIN.password);
  });
});
