import type { LightMyRequestResponse } from 'fastify';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, mqttIntegration, type TestApp } from '../support/app.js';
import {
  runs,
  hugeString,
  encode,
  bodyText,
  contentType,
  type Sent,
  expectWellFormed,
  INTEGRATION_POSTS,
  INTEGRATION_PATCHES,
  APPLICATION_BODIES,
  TOKEN_POSTS,
  TOKEN_PATCHES,
  LOGINS,
  MQTT_PUBLISHES,
  WS_PUBLISHES,
  acceptingConnector,
} from '../support/bad-input.js';
import { storeTargets } from '../support/stores.js';
import { waitFor } from '../support/wait.js';

/**
 * Robustness: arbitrary and near-valid input never gets a 5xx, every error is
 * exactly { type, message } with the type of its status (SPEC §1), and a
 * rejected request leaves the stored data as it was.
 */

// ---------------------------------------------------------------- the properties

describe.each(storeTargets())('bad input on $name', (target) => {
  let t: TestApp;
  let appId: string;
  let integrationId: string;
  let tokenId: string;
  /** A second app whose runtime runs, so publishing reaches a (fake) connection instead of a 503. */
  let live: TestApp;
  let liveApp: string;
  let liveMqtt: string;
  let liveWs: string;

  async function send(app: TestApp, method: string, url: string, text: string, type: string | undefined, token: string | null = app.userToken): Promise<{ sent: Sent; res: LightMyRequestResponse }> {
    const headers: Record<string, string> = {};
    if (token !== null) headers.authorization = `Bearer ${token}`;
    if (type !== undefined) headers['content-type'] = type;
    const res = await app.app.inject({ method: method as 'POST', url, payload: text, headers });
    return { sent: { store: target.name, method, url, text, contentType: type }, res };
  }

  const read = async (url: string) => {
    const res = await t.request('GET', url);
    expect(res.statusCode, res.body).toBe(200);
    return res.json<Record<string, unknown>>();
  };
  const total = async (url: string) => (await read(url)).totalCount;

  beforeAll(async () => {
    t = await buildTestApp(target);
    appId = await t.createApplication('robust');
    const created = await t.request('POST', `/applications/${appId}/integrations`, { body: mqttIntegration() });
    integrationId = created.json<{ id: string }>().id;
    tokenId = (await t.createToken(appId, { name: 'victim' })).id;

    live = await buildTestApp(target, {}, { factories: { mqtt: acceptingConnector, websocket: acceptingConnector } });
    liveApp = await live.createApplication('live');
    liveMqtt = (await live.request('POST', `/applications/${liveApp}/integrations`, { body: mqttIntegration() })).json<{ id: string }>().id;
    liveWs = (await live.request('POST', `/applications/${liveApp}/integrations`, { body: { name: 'ws', integrationType: 'websocket', websocketConfig: { url: 'ws://127.0.0.1:1/x' } } })).json<{ id: string }>().id;
    await live.ctx.runtime.start();
    await waitFor(() => (live.ctx.runtime.supervisor.isConnected(liveMqtt) && live.ctx.runtime.supervisor.isConnected(liveWs) ? true : undefined), 'the fake connections');
  });
  afterAll(async () => {
    await t?.close();
    await live?.close();
  });

  interface BodyCase {
    readonly name: string;
    readonly method: 'POST' | 'PATCH';
    readonly url: () => string;
    readonly bases: readonly unknown[];
    /** What must not change when the request is refused: the collection's size, or the resource itself. */
    readonly snapshot: () => Promise<unknown>;
    readonly numRuns: number;
  }

  const bodyCases: readonly BodyCase[] = [
    { name: 'POST integrations', method: 'POST', url: () => `/applications/${appId}/integrations`, bases: INTEGRATION_POSTS, snapshot: () => total(`/applications/${appId}/integrations`), numRuns: 150 },
    {
      name: 'PATCH integration',
      method: 'PATCH',
      url: () => `/applications/${appId}/integrations/${integrationId}`,
      bases: INTEGRATION_PATCHES,
      snapshot: () => read(`/applications/${appId}/integrations/${integrationId}`),
      numRuns: 150,
    },
    { name: 'POST applications', method: 'POST', url: () => '/applications', bases: APPLICATION_BODIES, snapshot: () => total('/applications'), numRuns: 80 },
    { name: 'PATCH application', method: 'PATCH', url: () => `/applications/${appId}`, bases: APPLICATION_BODIES, snapshot: () => read(`/applications/${appId}`), numRuns: 80 },
    { name: 'POST tokens', method: 'POST', url: () => `/applications/${appId}/tokens`, bases: TOKEN_POSTS, snapshot: () => total(`/applications/${appId}/tokens`), numRuns: 80 },
    { name: 'PATCH token', method: 'PATCH', url: () => `/applications/${appId}/tokens/${tokenId}`, bases: TOKEN_PATCHES, snapshot: () => read(`/applications/${appId}/tokens/${tokenId}`), numRuns: 80 },
  ];

  it.each(bodyCases.map((c) => [c.name, c] as const))('%s: never a 5xx, errors well formed, a refusal changes nothing, a PATCH reads back as answered', async (_name, c) => {
    await fc.assert(
      fc.asyncProperty(bodyText(c.bases), contentType, async (text, type) => {
        const before = await c.snapshot();
        const { sent, res } = await send(t, c.method, c.url(), text, type);
        expectWellFormed(res, sent);
        const after = await c.snapshot();
        if (res.statusCode >= 400) expect(after, `${sent.text.slice(0, 300)} -> ${res.body}`).toEqual(before);
        // What an accepted PATCH answers is what a GET reads back.
        else if (c.method === 'PATCH') expect(after, sent.text.slice(0, 300)).toEqual(res.json());
      }),
      runs(c.numRuns),
    );
  });

  it('POST /auth/user: never a 5xx, errors well formed', async () => {
    // Every well-formed attempt costs a scrypt hash (and the 11th per email a 429), so fewer runs.
    await fc.assert(
      fc.asyncProperty(bodyText(LOGINS), contentType, async (text, type) => {
        const { sent, res } = await send(t, 'POST', '/auth/user', text, type, null);
        expectWellFormed(res, sent);
        if (res.statusCode === 200) expect(Object.keys(res.json<object>()).sort()).toEqual(['token', 'userId']);
      }),
      runs(30),
    );
  });

  it('POST …/publish: never a 5xx, errors well formed', async () => {
    const cases = fc.oneof(
      fc.tuple(fc.constant(liveMqtt), bodyText(MQTT_PUBLISHES)),
      fc.tuple(fc.constant(liveWs), bodyText(WS_PUBLISHES)),
    );
    await fc.assert(
      fc.asyncProperty(cases, contentType, async ([id, text], type) => {
        const { sent, res } = await send(live, 'POST', `/applications/${liveApp}/integrations/${id}/publish`, text, type);
        expectWellFormed(res, sent);
        if (res.statusCode === 200) expect(res.json()).toEqual({ success: true });
      }),
      runs(120),
    );
  });

  describe('query strings', () => {
    const KNOWN = ['sortField', 'sortDirection', 'page', 'perPage', 'filterField', 'filter', '_links', '_actions', '_embedded', 'losantdomain'];
    /** Written into the URL as they are: malformed percent escapes, brackets, empty keys. */
    const rawKeys = fc.constantFrom('', '%', '%zz', '%00', 'a[b]', 'a[]', '__proto__', 'constructor', '__proto__[x]', 'PAGE', '_links[]');
    const rawValues = fc.constantFrom('', '0', '-1', '1001', '1e3', '0x10', '1.5', 'NaN', 'Infinity', 'true', 'false', 'asc', 'DESC', 'up', 'name', 'id', 'ts', 'type', '*', '%', '%zz', '%00', '%E0%A4%A', '%2A', 'a%20b', 'integrationType');
    const pair = fc.oneof(
      fc.tuple(fc.constantFrom(...KNOWN), fc.oneof(rawValues, fc.string({ unit: 'binary', maxLength: 20 }).map(encode), hugeString.map((s) => encode(s.slice(0, 3000))))),
      fc.tuple(rawKeys, rawValues),
      fc.tuple(fc.string({ unit: 'binary', maxLength: 10 }).map(encode), fc.string({ unit: 'binary', maxLength: 10 }).map(encode)),
    );
    const query = fc.array(pair, { maxLength: 6 }).map((pairs) => pairs.map(([k, v]) => `${k}=${v}`).join('&'));
    const lists = () => [
      '/applications',
      `/applications/${appId}/integrations`,
      `/applications/${appId}/tokens`,
      `/applications/${appId}/integrations/${integrationId}/events`,
    ];

    it('list endpoints: never a 5xx, errors well formed, a 200 is a page of at most perPage items', async () => {
      await fc.assert(
        fc.asyncProperty(fc.nat(3), query, async (which, q) => {
          const url = `${lists()[which]}?${q}`;
          const res = await t.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${t.userToken}` } });
          const sent = { store: target.name, method: 'GET', url, text: '' };
            expectWellFormed(res, sent);
          if (res.statusCode === 200) {
            const page = res.json<{ items: unknown[]; count: number; perPage: number; totalCount: number }>();
            expect(page.items.length).toBe(page.count);
            expect(page.count).toBeLessThanOrEqual(page.perPage);
            expect(page.count).toBeLessThanOrEqual(page.totalCount);
          }
        }),
        runs(200),
      );
    });

    it('parameters a list does not know are ignored, however many and however repeated', async () => {
      const unknownKey = fc.stringMatching(/^[a-z][a-zA-Z0-9]{0,15}$/).filter((k) => !KNOWN.includes(k));
      const unknownQuery = fc.array(fc.tuple(unknownKey, fc.string({ unit: 'binary', maxLength: 20 })), { maxLength: 8 }).map((pairs) => pairs.map(([k, v]) => `${k}=${encode(v)}`).join('&'));
      await fc.assert(
        fc.asyncProperty(fc.nat(3), unknownQuery, async (which, q) => {
          const res = await t.app.inject({ method: 'GET', url: `${lists()[which]}?${q}`, headers: { authorization: `Bearer ${t.userToken}` } });
          expect(res.statusCode, `${q} -> ${res.body}`).toBe(200);
        }),
        runs(60),
      );
    });
  });

  it('malformed path ids: 400 naming the parameter (or 404 when no route matches), never a 5xx', async () => {
    const templates = [
      { param: 'applicationId', method: 'GET', url: (id: string) => `/applications/${id}` },
      { param: 'applicationId', method: 'PATCH', url: (id: string) => `/applications/${id}` },
      { param: 'applicationId', method: 'DELETE', url: (id: string) => `/applications/${id}` },
      { param: 'applicationId', method: 'GET', url: (id: string) => `/applications/${id}/integrations` },
      { param: 'applicationId', method: 'POST', url: (id: string) => `/applications/${id}/tokens` },
      { param: 'applicationId', method: 'GET', url: (id: string) => `/applications/${id}/integrationMessageStream` },
      { param: 'integrationId', method: 'GET', url: (id: string) => `/applications/${appId}/integrations/${id}` },
      { param: 'integrationId', method: 'PATCH', url: (id: string) => `/applications/${appId}/integrations/${id}` },
      { param: 'integrationId', method: 'DELETE', url: (id: string) => `/applications/${appId}/integrations/${id}` },
      { param: 'integrationId', method: 'GET', url: (id: string) => `/applications/${appId}/integrations/${id}/events` },
      { param: 'integrationId', method: 'GET', url: (id: string) => `/applications/${appId}/integrations/${id}/messageStream` },
      { param: 'integrationId', method: 'POST', url: (id: string) => `/applications/${appId}/integrations/${id}/publish` },
      { param: 'apiTokenId', method: 'GET', url: (id: string) => `/applications/${appId}/tokens/${id}` },
      { param: 'apiTokenId', method: 'PATCH', url: (id: string) => `/applications/${appId}/tokens/${id}` },
      { param: 'apiTokenId', method: 'DELETE', url: (id: string) => `/applications/${appId}/tokens/${id}` },
    ] as const;
    const nearId = fc.oneof(
      fc.constantFrom('A'.repeat(24), '0'.repeat(23), '0'.repeat(25), 'g'.repeat(24), ' '.repeat(24), 'null', 'undefined', '[object Object]', '0x' + '0'.repeat(22)),
      fc.stringMatching(/^[0-9a-fA-F]{20,28}$/),
      fc.string({ unit: 'binary', minLength: 1, maxLength: 600 }),
    );
    // Dot segments are resolved by URL parsing before the request is made (curl does the same), so they are not ids.
    const badId = nearId.filter((id) => !/^[a-f0-9]{24}$/.test(id) && id !== '.' && id !== '..').map(encode);
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...templates), badId, async (template, id) => {
        const url = template.url(id);
        const { sent, res } = await send(t, template.method, url, template.method === 'GET' || template.method === 'DELETE' ? '' : '{"name":"x"}', 'application/json');
        expectWellFormed(res, sent);
        expect([400, 404], `${template.method} ${url} -> ${res.body}`).toContain(res.statusCode);
        if (res.statusCode === 400) expect(res.json<{ message: string }>().message).toContain(template.param);
      }),
      runs(150),
    );
    // Nothing was deleted along the way.
    expect((await t.request('GET', `/applications/${appId}/integrations/${integrationId}`)).statusCode).toBe(200);
  });

  describe('inputs that once answered 500 or were silently rewritten', () => {
    it('a leap-second expirationDate is a 400, not a 500', async () => {
      const { sent, res } = await send(t, 'POST', `/applications/${appId}/tokens`, JSON.stringify({ name: 'leap', expirationDate: '2030-12-31T23:59:60Z' }), 'application/json');
      expectWellFormed(res, sent);
      expect(res.statusCode).toBe(400);
    });

    // Each store would re-encode an unpaired surrogate differently (three U+FFFD on SQLite, one on
    // PostgreSQL), so it is refused rather than stored.
    it('an unpaired surrogate is refused with a 400', async () => {
      const res = await t.request('POST', '/applications', { body: { name: 'a\ud800b' } });
      expect(res.json()).toEqual({ type: 'Validation', message: 'name must be well-formed Unicode (it has an unpaired surrogate)' });
      if (res.statusCode === 400) return;
      const created = res.json<{ id: string; name: string }>();
      const stored = (await t.request('GET', `/applications/${created.id}`)).json<{ name: string }>();
      expect(stored.name).toBe(created.name);
    });

    {
      const nulCases: [string, 'POST' | 'PATCH', () => string, unknown][] = [
        ['POST /applications name', 'POST', () => '/applications', { name: 'a\u0000b' }],
        ['PATCH /applications description', 'PATCH', () => `/applications/${appId}`, { description: '\u0000' }],
        ['POST integrations name', 'POST', () => `/applications/${appId}/integrations`, mqttIntegration({ name: 'a\u0000' })],
        ['PATCH integration name', 'PATCH', () => `/applications/${appId}/integrations/${integrationId}`, { name: 'x\u0000' }],
        ['POST tokens name', 'POST', () => `/applications/${appId}/tokens`, { name: 'x\u0000' }],
      ];
      it.each(nulCases)('a NUL character in %s is refused with a 400 (PostgreSQL cannot store it)', async (_what, method, url, body) => {
        const { sent, res } = await send(t, method, url(), JSON.stringify(body), 'application/json');
        expectWellFormed(res, sent);
        expect(res.statusCode).toBe(400);
      });

      it('a NUL character in a list filter is a 400, not a 500', async () => {
        const url = `/applications/${appId}/integrations?filterField=name&filter=a%00b`;
        const res = await t.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${t.userToken}` } });
        expectWellFormed(res, { store: target.name, method: 'GET', url, text: '' });
        expect(res.json()).toEqual({ type: 'Validation', message: 'filter must not contain NUL characters' });
      });
    }
  });
});
