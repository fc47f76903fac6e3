import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, buildTestApp, type TestApp } from '../support/app.js';
import { losantSchemaErrors } from '../support/losant-schemas.js';
import { storeTargets } from '../support/stores.js';

const [sqlite] = storeTargets();

describe('POST /auth/user and tokens', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp(sqlite!, { loginRateLimit: 5 });
  });
  afterAll(async () => t.close());

  const login = (body: unknown, ip = '127.0.0.1') => t.app.inject({ method: 'POST', url: '/auth/user', payload: body as object, remoteAddress: ip });

  it('logs in and the token reaches the user’s applications', async () => {
    const res = await login({ email: ADMIN.email.toUpperCase(), password: ADMIN.password }, '10.0.0.1');
    expect(res.statusCode).toBe(200);
    const body = res.json<{ userId: string; token: string }>();
    expect(losantSchemaErrors('authedUser', body)).toEqual([]);
    expect((await t.request('GET', '/applications', { token: body.token })).statusCode).toBe(200);
  });

  it('refuses a wrong password and an unknown email alike', async () => {
    const wrong = await login({ email: ADMIN.email, password: 'wrong password' }, '10.0.0.2');
    const unknown = await login({ email: 'nobody@example.com', password: 'wrong password' }, '10.0.0.2');
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json()).toEqual({ type: 'Unauthorized', message: 'Invalid email or password' });
    expect(unknown.json()).toEqual(wrong.json());
  });

  it('throttles attempts per email and address with Retry-After', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await login({ email: 'victim@example.com', password: 'guess guess' }, '10.0.0.3')).statusCode);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
    const limited = await login({ email: 'victim@example.com', password: 'guess guess' }, '10.0.0.3');
    expect(limited.json<{ type: string }>().type).toBe('TooManyRequests');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    // Another address, or another email, is not affected.
    expect((await login({ email: 'victim@example.com', password: 'guess guess' }, '10.0.0.4')).statusCode).toBe(401);
    expect((await login({ email: ADMIN.email, password: ADMIN.password }, '10.0.0.3')).statusCode).toBe(200);
  });

  it('narrows a user token with requestedScopes', async () => {
    const res = await login({ email: ADMIN.email, password: ADMIN.password, requestedScopes: ['all.User.read'] }, '10.0.0.5');
    const token = res.json<{ token: string }>().token;
    expect((await t.request('GET', '/applications', { token })).statusCode).toBe(200);
    expect((await t.request('POST', '/applications', { token, body: { name: 'x' } })).json()).toMatchObject({ type: 'Forbidden' });
  });

  it('answers 401 for missing, malformed, forged and expired tokens', async () => {
    const url = '/applications';
    expect((await t.request('GET', url, { token: null })).json()).toEqual({ type: 'Unauthorized', message: 'An Authorization header with a Bearer token is required' });
    expect((await t.request('GET', url, { token: null, headers: { authorization: 'Basic abc' } })).statusCode).toBe(401);
    const [h, p] = t.userToken.split('.');
    expect((await t.request('GET', url, { token: `${h}.${p}.forged` })).json()).toEqual({ type: 'Unauthorized', message: 'The token is invalid' });
    const appId = await t.createApplication();
    const expired = t.ctx.auth.signApplicationToken({
      id: 'a'.repeat(24), applicationId: appId, name: 'x', description: null, scope: ['all.Application'], status: 'active',
      expirationDate: new Date(Date.now() - 60_000).toISOString(), creatorId: 'b'.repeat(24), creatorType: 'user', creatorName: null,
      creationDate: new Date().toISOString(), lastUpdated: new Date().toISOString(),
    });
    expect((await t.request('GET', `/applications/${appId}`, { token: expired })).json()).toEqual({ type: 'Unauthorized', message: 'The token has expired' });
  });

  it('validates the login body', async () => {
    expect((await login({ email: 'not-an-email', password: 'long enough' }, '10.0.0.6')).json()).toEqual({ type: 'Validation', message: 'email must match format "email"' });
    expect((await login({ email: ADMIN.email }, '10.0.0.6')).json()).toEqual({ type: 'Validation', message: 'password is required' });
  });
});

describe('general rate limiting', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp(sqlite!, { rateLimitMax: 3, rateLimitWindow: 60_000 });
  });
  afterAll(async () => t.close());

  it('answers 429 with Retry-After past the limit, per token', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await t.request('GET', '/applications')).statusCode);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const limited = await t.request('GET', '/applications');
    expect(limited.json<{ type: string }>().type).toBe('TooManyRequests');
    expect(limited.headers['retry-after']).toBeDefined();
    const appId = (await t.ctx.applications.create((await t.ctx.store.users.findByEmail(ADMIN.email))!.id, { name: 'x' })).id;
    const { token } = await t.ctx.tokens.create(appId, { kind: 'user', userId: (await t.ctx.store.users.findByEmail(ADMIN.email))!.id, scopes: ['all.User'] }, { name: 'other' });
    expect((await t.request('GET', `/applications/${appId}`, { token })).statusCode).toBe(200);
  });
});
