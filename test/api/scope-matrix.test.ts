import { createHmac, randomBytes, scryptSync } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, mqttIntegration, type TestApp } from '../support/app.js';
import { storeTargets } from '../support/stores.js';
import { ACCEPTS } from '../support/expected-scopes.js';

/**
 * Every endpoint × every scope that matters. The accepted lists are written
 * here from the seeds, Losant's own documentation of the neighbouring
 * resources and SPEC §2 — deliberately not imported from src/security/scopes.ts,
 * so a wrong list there shows up as a failure here.
 */
type EndpointName = keyof typeof ACCEPTS;

/** Scopes no endpoint here accepts, including near misses (wrong case, wrong resource, wrong action). */
const IRRELEVANT = ['devices.get', 'device.get', 'all.Device', 'all.Device.read', 'integration.messagestream', 'integrations.publish', 'integration.post', 'application.post'];

const CANDIDATES = [...new Set([...Object.values(ACCEPTS).flat(), ...IRRELEVANT])].sort();

/** Application tokens are bound to one application, so they cannot carry user- or organization-wide scopes. */
const holdableByApplicationToken = (scope: string) => !scope.startsWith('all.User') && !scope.startsWith('all.Organization');

/** A well-formed id that names nothing. */
const MISSING = '0'.repeat(24);

interface Ids {
  readonly app: string;
  readonly integration: string;
  readonly token: string;
}

interface Endpoint {
  readonly name: EndpointName;
  readonly path: (ids: Ids) => string;
  /** A body that passes validation, so an allowed call reaches the handler (it may depend on the caller's scope). */
  readonly body?: (scope: string) => unknown;
  /** The status an allowed call gets: proof it went past the scope check, not merely "not 403". */
  readonly ok: number;
  /** For an `ok` that is an error: its message, so it cannot be some other error with the same status. */
  readonly okMessage?: string;
  readonly sse?: boolean;
}

const method = (e: Endpoint) => e.name.split(' ')[0]!;
/** Endpoints under /applications/{applicationId}: the only ones an application token may ever reach. */
const inApplication = (e: Endpoint) => e.name.includes('{applicationId}');

const ENDPOINTS: readonly Endpoint[] = [
  { name: 'GET /applications', path: () => '/applications', ok: 200 },
  { name: 'POST /applications', path: () => '/applications', body: () => ({ name: 'matrix' }), ok: 201 },
  { name: 'GET /applications/{applicationId}', path: (i) => `/applications/${i.app}`, ok: 200 },
  { name: 'PATCH /applications/{applicationId}', path: (i) => `/applications/${i.app}`, body: () => ({ description: 'matrix' }), ok: 200 },
  { name: 'GET /applications/{applicationId}/tokens', path: (i) => `/applications/${i.app}/tokens`, ok: 200 },
  {
    name: 'POST /applications/{applicationId}/tokens',
    path: (i) => `/applications/${i.app}/tokens`,
    // A token may only grant what it holds, so ask for the caller's own scope.
    body: (scope) => ({ name: 'matrix', scope: [holdableByApplicationToken(scope) ? scope : 'integration.get'] }),
    ok: 201,
  },
  { name: 'GET /applications/{applicationId}/tokens/{apiTokenId}', path: (i) => `/applications/${i.app}/tokens/${i.token}`, ok: 200 },
  { name: 'PATCH /applications/{applicationId}/tokens/{apiTokenId}', path: (i) => `/applications/${i.app}/tokens/${i.token}`, body: () => ({ description: 'matrix' }), ok: 200 },
  // Deleting a token that does not exist: the handler's 404 proves the scope check let the call through, and nothing is lost.
  { name: 'DELETE /applications/{applicationId}/tokens/{apiTokenId}', path: (i) => `/applications/${i.app}/tokens/${MISSING}`, ok: 404, okMessage: 'API token was not found' },
  { name: 'GET /applications/{applicationId}/integrations', path: (i) => `/applications/${i.app}/integrations`, ok: 200 },
  {
    name: 'POST /applications/{applicationId}/integrations',
    path: (i) => `/applications/${i.app}/integrations`,
    body: () => mqttIntegration({ name: 'matrix', enabled: false }),
    ok: 201,
  },
  { name: 'GET /applications/{applicationId}/integrations/{integrationId}', path: (i) => `/applications/${i.app}/integrations/${i.integration}`, ok: 200 },
  {
    name: 'PATCH /applications/{applicationId}/integrations/{integrationId}',
    path: (i) => `/applications/${i.app}/integrations/${i.integration}`,
    body: () => ({ topics: ['differentTopic'] }),
    ok: 200,
  },
  { name: 'DELETE /applications/{applicationId}/integrations/{integrationId}', path: (i) => `/applications/${i.app}/integrations/${MISSING}`, ok: 404, okMessage: 'Integration was not found' },
  { name: 'GET /applications/{applicationId}/integrations/{integrationId}/events', path: (i) => `/applications/${i.app}/integrations/${i.integration}/events`, ok: 200 },
  // The runtime is not started in these tests, so an authorised publish finds no connection: 503.
  {
    name: 'POST /applications/{applicationId}/integrations/{integrationId}/publish',
    path: (i) => `/applications/${i.app}/integrations/${i.integration}/publish`,
    body: () => ({ topic: 'a/b', message: 'hello' }),
    ok: 503,
  },
  {
    name: 'GET /applications/{applicationId}/integrations/{integrationId}/messageStream',
    path: (i) => `/applications/${i.app}/integrations/${i.integration}/messageStream`,
    ok: 200,
    sse: true,
  },
  { name: 'GET /applications/{applicationId}/integrationMessageStream', path: (i) => `/applications/${i.app}/integrationMessageStream`, ok: 200, sse: true },
  { name: 'GET /applications/{applicationId}/integrationStatusStream', path: (i) => `/applications/${i.app}/integrationStatusStream`, ok: 200, sse: true },
  // No connectors in these tests: an authorised probe answers 200 { success: false } without connecting anywhere.
  { name: 'POST /applications/{applicationId}/integrations/probe', path: (i) => `/applications/${i.app}/integrations/probe`, body: () => mqttIntegration({ name: 'matrix' }), ok: 200 },
];

/** DELETE /applications/{applicationId} really deletes, so it gets its own test with a fresh application per call. */
const DELETE_APPLICATION: Endpoint = { name: 'DELETE /applications/{applicationId}', path: (i) => `/applications/${i.app}`, ok: 200 };
const ALL_ENDPOINTS = [...ENDPOINTS, DELETE_APPLICATION];

interface Caller {
  readonly kind: 'application' | 'user';
  readonly scope: string;
  readonly token: string;
}

interface Outcome {
  readonly status: number;
  readonly contentType: string;
  readonly cacheControl: string;
  readonly body: unknown;
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/**
 * A Server-Sent-Events call over a real socket (app.inject waits for the end
 * of a response, and a stream has none): an error arrives as a whole JSON
 * body; a stream is judged by its headers, then abandoned.
 */
function sseGet(url: string, token: string | null): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const request = http.get(url, { agent: false, headers: token === null ? {} : { authorization: `Bearer ${token}` } }, (res) => {
      const head = { status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), cacheControl: String(res.headers['cache-control'] ?? '') };
      if (head.contentType.startsWith('text/event-stream')) {
        res.destroy();
        resolve({ ...head, body: undefined });
        return;
      }
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ ...head, body: parse(text) }));
      res.on('error', reject);
    });
    request.on('error', reject);
  });
}

const isForbidden = (out: Outcome) => out.status === 403 && (out.body as { type?: unknown } | null)?.type === 'Forbidden';

/** Signs a JWT with any key and header: the server must refuse it unless it is its own HS256 signature. */
function forgeJwt(header: object, payload: object, key: Buffer | null): string {
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const unsigned = `${encode(header)}.${encode(payload)}`;
  return key === null ? `${unsigned}.` : `${unsigned}.${createHmac('sha256', key).update(unsigned).digest('base64url')}`;
}

/**
 * Adds a user whose password hash uses a low scrypt cost. The hash carries its
 * own parameters, so logging in still goes through the real check, but once
 * per scope costs milliseconds instead of a full-cost hash each.
 */
async function addCheapUser(t: TestApp, email: string, password: string): Promise<string> {
  const cost = { N: 1024, r: 8, p: 1 };
  const salt = randomBytes(16);
  const key = scryptSync(password.normalize('NFKC'), salt, 32, cost);
  const id = randomBytes(12).toString('hex');
  const now = new Date().toISOString();
  const passwordHash = ['scrypt', cost.N, cost.r, cost.p, salt.toString('base64'), key.toString('base64')].join('$');
  await t.ctx.store.users.insert({ id, email, passwordHash, creationDate: now, lastUpdated: now });
  return id;
}

const OWNER = { email: 'owner@example.com', password: 'owner password' };
const STRANGER = { email: 'stranger@example.com', password: 'stranger password' };

// Twice the work on PostgreSQL still keeps the file to a few seconds, so both stores run.
describe.each(storeTargets())('scope matrix on $name', (target) => {
  let t: TestApp;
  let baseUrl: string;
  let ids: Ids;
  let userId: string;
  /** An all.User token of the owner of every application here (the admin of buildTestApp owns none of them). */
  let ownerToken: string;
  const appCallers: Caller[] = [];
  const userCallers: Caller[] = [];
  const userTokenWith = new Map<string, string>();

  async function call(endpoint: Endpoint, token: string | null, at?: Ids, scope = 'all.User'): Promise<Outcome> {
    // Unless told otherwise, DELETE /applications/{id} aims at a throwaway application, so a wrongly allowed call costs nothing.
    const url = endpoint.path(at ?? (endpoint === DELETE_APPLICATION ? { ...ids, app: await t.createApplication('doomed', ownerToken) } : ids));
    if (endpoint.sse) return sseGet(`${baseUrl}${url}`, token);
    const res = await t.request(method(endpoint), url, { token, ...(endpoint.body ? { body: endpoint.body(scope) } : {}) });
    return { status: res.statusCode, contentType: String(res.headers['content-type'] ?? ''), cacheControl: String(res.headers['cache-control'] ?? ''), body: parse(res.body) };
  }

  /** Returns a line per caller whose outcome differs from what the accepted list says. */
  function judge(endpoint: Endpoint, caller: Caller, out: Outcome): string | null {
    const accepted = (ACCEPTS[endpoint.name] as readonly string[]).includes(caller.scope) && (caller.kind === 'user' || inApplication(endpoint));
    const who = `${caller.kind} token [${caller.scope}]`;
    if (accepted) {
      if (out.status !== endpoint.ok) return `${who}: expected ${endpoint.ok}, got ${out.status} ${JSON.stringify(out.body)}`;
      if (endpoint.okMessage !== undefined && (out.body as { message?: unknown }).message !== endpoint.okMessage) return `${who}: expected "${endpoint.okMessage}", got ${JSON.stringify(out.body)}`;
      if (endpoint.sse && !out.contentType.startsWith('text/event-stream')) return `${who}: expected an event stream, got ${out.contentType}`;
      return null;
    }
    return isForbidden(out) ? null : `${who}: expected 403 Forbidden, got ${out.status} ${JSON.stringify(out.body)}`;
  }

  /** Creates an application API token as the owner and returns its token string. */
  async function mint(app: string, name: string, scope?: string[]): Promise<{ id: string; token: string }> {
    const res = await t.request('POST', `/applications/${app}/tokens`, { token: ownerToken, body: { name, ...(scope ? { scope } : {}) } });
    expect(res.statusCode, res.body).toBe(201);
    return res.json<{ id: string; token: string }>();
  }

  beforeAll(async () => {
    t = await buildTestApp(target);
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    baseUrl = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    userId = await addCheapUser(t, OWNER.email, OWNER.password);
    ownerToken = (await t.ctx.auth.login(OWNER.email, OWNER.password, undefined, undefined)).token;
    const app = await t.createApplication('matrix', ownerToken);
    const created = await t.request('POST', `/applications/${app}/integrations`, { token: ownerToken, body: mqttIntegration() });
    expect(created.statusCode, created.body).toBe(201);
    const victim = await mint(app, 'victim');
    ids = { app, integration: created.json<{ id: string }>().id, token: victim.id };

    // One token per scope, reused across every endpoint.
    const [apps, users] = await Promise.all([
      Promise.all(CANDIDATES.filter(holdableByApplicationToken).map(async (scope) => ({ kind: 'application' as const, scope, token: (await mint(app, `matrix ${scope}`, [scope])).token }))),
      Promise.all(CANDIDATES.map(async (scope) => ({ kind: 'user' as const, scope, token: (await t.ctx.auth.login(OWNER.email, OWNER.password, [scope], undefined)).token }))),
    ]);
    appCallers.push(...apps);
    userCallers.push(...users);
    for (const caller of users) userTokenWith.set(caller.scope, caller.token);
  });
  afterAll(async () => t?.close());

  it('covers every scope of every accepted list, with application and user tokens', () => {
    expect(appCallers.map((c) => c.scope)).not.toContain('all.User');
    expect(userCallers).toHaveLength(CANDIDATES.length);
    for (const list of Object.values(ACCEPTS)) for (const scope of list) expect(CANDIDATES).toContain(scope);
  });

  it.each(ENDPOINTS.map((e) => [e.name, e] as const))('%s: exactly the accepted scopes pass', async (_name, endpoint) => {
    const problems: string[] = [];
    for (const caller of [...appCallers, ...userCallers]) {
      const problem = judge(endpoint, caller, await call(endpoint, caller.token, ids, caller.scope));
      if (problem) problems.push(problem);
    }
    expect(problems).toEqual([]);
  });

  it('DELETE /applications/{applicationId}: exactly the accepted scopes pass', async () => {
    const problems: string[] = [];
    for (const caller of [...appCallers, ...userCallers]) {
      // A fresh application per call: an allowed call deletes it (and an application token with it).
      const app = await t.createApplication('doomed', ownerToken);
      const token = caller.kind === 'application' ? (await mint(app, 'doomed', [caller.scope])).token : caller.token;
      const problem = judge(DELETE_APPLICATION, caller, await call(DELETE_APPLICATION, token, { ...ids, app }));
      if (problem) problems.push(problem);
    }
    expect(problems).toEqual([]);
  });

  it('SSE endpoints answer an allowed call with an uncached event stream', async () => {
    for (const endpoint of ENDPOINTS.filter((e) => e.sse)) {
      const out = await call(endpoint, ownerToken);
      expect(out).toMatchObject({ status: 200, contentType: expect.stringMatching(/^text\/event-stream/) as unknown, cacheControl: expect.stringMatching(/no-cache/) as unknown });
    }
  });

  describe('across owners', () => {
    let otherApp: string;
    let otherAppToken: string;
    let strangerToken: string;

    beforeAll(async () => {
      otherApp = await t.createApplication('other', ownerToken);
      otherAppToken = (await mint(otherApp, 'all of the other application')).token;
      await addCheapUser(t, STRANGER.email, STRANGER.password);
      strangerToken = (await t.ctx.auth.login(STRANGER.email, STRANGER.password, undefined, undefined)).token;
    });

    it("an application's all.Application token gets 403 on another application's every endpoint", async () => {
      const problems: string[] = [];
      for (const endpoint of ALL_ENDPOINTS.filter(inApplication)) {
        const out = await call(endpoint, otherAppToken);
        if (!isForbidden(out)) problems.push(`${endpoint.name}: ${out.status} ${JSON.stringify(out.body)}`);
      }
      expect(problems).toEqual([]);
    });

    it("a user's all.User token gets 404 Application was not found on another user's application", async () => {
      const problems: string[] = [];
      for (const endpoint of ALL_ENDPOINTS.filter(inApplication)) {
        const out = await call(endpoint, strangerToken);
        const expected = { type: 'NotFound', message: 'Application was not found' };
        if (out.status !== 404 || JSON.stringify(out.body) !== JSON.stringify(expected)) problems.push(`${endpoint.name}: ${out.status} ${JSON.stringify(out.body)}`);
      }
      expect(problems).toEqual([]);
      const listed = await t.request('GET', '/applications', { token: strangerToken });
      expect(listed.json<{ items: { id: string }[] }>().items.map((a) => a.id)).not.toContain(ids.app);
    });

    it('a user token gets 404 for an application that does not exist, an application token 403', async () => {
      const missing = { ...ids, app: MISSING };
      const integrations = ENDPOINTS.find((e) => e.name === 'GET /applications/{applicationId}/integrations')!;
      expect((await call(integrations, ownerToken, missing)).status).toBe(404);
      expect(isForbidden(await call(integrations, appCallers.find((c) => c.scope === 'all.Application')!.token, missing))).toBe(true);
    });
  });

  it('all.User.read reads everything and changes nothing', async () => {
    const token = userTokenWith.get('all.User.read')!;
    for (const endpoint of ALL_ENDPOINTS) {
      const out = await call(endpoint, token);
      if (method(endpoint) === 'GET') expect(out.status, endpoint.name).toBe(200);
      else expect(isForbidden(out), `${endpoint.name}: ${out.status}`).toBe(true);
    }
  });

  describe('401 Unauthorized', () => {
    const badTokens = (): Record<string, string> => {
      const [header, payload, signature] = ownerToken.split('.') as [string, string, string];
      // Change a character in the middle: the last one may only carry padding bits.
      const i = Math.floor(signature.length / 2);
      const tampered = `${header}.${payload}.${signature.slice(0, i)}${signature[i] === 'A' ? 'B' : 'A'}${signature.slice(i + 1)}`;
      const claims = { typ: 'user', sub: userId, scope: ['all.User'], iss: 'tributary' };
      return {
        garbage: 'not-a-token',
        'tampered signature': tampered,
        'signed with another key': forgeJwt({ alg: 'HS256', typ: 'JWT' }, claims, Buffer.alloc(32, 7)),
        'alg none': forgeJwt({ alg: 'none', typ: 'JWT' }, claims, null),
        'payload swapped under a valid signature': `${header}.${Buffer.from(JSON.stringify({ ...claims, scope: ['all.Organization'] })).toString('base64url')}.${signature}`,
      };
    };

    it('without a token, on every endpoint', async () => {
      const problems: string[] = [];
      for (const endpoint of ALL_ENDPOINTS) {
        const out = await call(endpoint, null);
        if (out.status !== 401 || (out.body as { type?: unknown }).type !== 'Unauthorized') problems.push(`${endpoint.name}: ${out.status} ${JSON.stringify(out.body)}`);
      }
      expect(problems).toEqual([]);
    });

    it('with a garbage, tampered or forged token, on every endpoint', async () => {
      const problems: string[] = [];
      for (const [kind, token] of Object.entries(badTokens())) {
        for (const endpoint of ALL_ENDPOINTS) {
          const out = await call(endpoint, token);
          if (out.status !== 401 || (out.body as { type?: unknown }).type !== 'Unauthorized') problems.push(`${kind} on ${endpoint.name}: ${out.status}`);
        }
      }
      expect(problems).toEqual([]);
    });

    it('with a Basic or token-less Authorization header', async () => {
      for (const authorization of ['Basic YWRtaW46cGFzc3dvcmQ=', 'Bearer', 'Bearer ', `Token ${ownerToken}`]) {
        const res = await t.request('GET', '/applications', { token: null, headers: { authorization } });
        expect(res.statusCode, authorization).toBe(401);
        expect(res.json()).toMatchObject({ type: 'Unauthorized' });
      }
    });

    it('with an application token made inactive, then deleted', async () => {
      const { id, token } = await mint(ids.app, 'short-lived', ['integrations.get']);
      const list = ENDPOINTS.find((e) => e.name === 'GET /applications/{applicationId}/integrations')!;
      const item = `/applications/${ids.app}/tokens/${id}`;
      expect((await call(list, token)).status).toBe(200);
      expect((await t.request('PATCH', item, { token: ownerToken, body: { status: 'inactive' } })).statusCode).toBe(200);
      expect((await call(list, token)).status).toBe(401);
      expect((await t.request('PATCH', item, { token: ownerToken, body: { status: 'active' } })).statusCode).toBe(200);
      expect((await call(list, token)).status).toBe(200);
      expect((await t.request('DELETE', item, { token: ownerToken })).statusCode).toBe(200);
      expect((await call(list, token)).status).toBe(401);
    });
  });

  describe('minting tokens', () => {
    it('an application token cannot grant a scope it does not hold', async () => {
      const narrow = appCallers.find((c) => c.scope === 'applicationApiTokens.post')!;
      const res = await t.request('POST', `/applications/${ids.app}/tokens`, { token: narrow.token, body: { name: 'wider', scope: ['all.Application'] } });
      expect(res.statusCode).toBe(403);
    });

    // BUG: the "a narrow token cannot mint a wider one" rule (TokenService.create) is only
    // applied to application tokens; a user token narrowed with requestedScopes to
    // applicationApiTokens.post mints an all.Application token and so escalates.
    it('a narrowed user token cannot grant a scope it does not hold either', async () => {
      const res = await t.request('POST', `/applications/${ids.app}/tokens`, { token: userTokenWith.get('applicationApiTokens.post')!, body: { name: 'wider', scope: ['all.Application'] } });
      expect(res.statusCode).toBe(403);
    });
  });
});
