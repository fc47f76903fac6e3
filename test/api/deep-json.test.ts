import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, mqttIntegration, type TestApp } from '../support/app.js';
import { storeTargets } from '../support/stores.js';

/** SPEC §1: no input, however bad, gives a 500 — deeply nested JSON included. */

const DEPTH = 5000;

const nested = (leaf: string, arrays: boolean) => (arrays ? `${'['.repeat(DEPTH)}${leaf}${']'.repeat(DEPTH)}` : `${'{"a":'.repeat(DEPTH)}${leaf}${'}'.repeat(DEPTH)}`);

describe.each(storeTargets().slice(0, 1))('deeply nested JSON bodies on $name', (target) => {
  let t: TestApp;
  let base: string;
  let appId: string;
  let integrationId: string;

  beforeAll(async () => {
    t = await buildTestApp(target);
    appId = await t.createApplication('deep');
    integrationId = (await t.request('POST', `/applications/${appId}/integrations`, { body: mqttIntegration() })).json<{ id: string }>().id;
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  });
  afterAll(async () => t?.close());

  const routes = (): [string, string, (deep: string) => string][] => [
    ['POST', '/applications', (deep) => `{"name":"x","description":${deep}}`],
    ['POST', `/applications/${appId}/integrations`, (deep) => `{"name":"x","integrationType":"mqtt","topics":["a"],"mqttConfig":${deep}}`],
    ['PATCH', `/applications/${appId}/integrations/${integrationId}`, (deep) => `{"mqttConfig":${deep}}`],
    ['POST', `/applications/${appId}/integrations/${integrationId}/publish`, (deep) => `{"topic":"a","message":${deep}}`],
    ['POST', '/auth/user', (deep) => `{"email":"a@example.com","password":${deep}}`],
    ['POST', '/applications', (deep) => deep],
  ];

  it.each([
    ['a NUL', '"\\u0000"', /NUL/],
    ['a lone surrogate', '"\\ud800"', /well-formed Unicode/],
    ['a NUL in a key', '{"\\u0000":1}', /NUL/],
    ['nothing wrong', '"fine"', /./],
  ])(`answers ${DEPTH} levels of nesting holding %s with 400 Validation`, async (_what, leaf, message) => {
    for (const arrays of [true, false]) {
      for (const [method, path, body] of routes()) {
        const res = await fetch(`${base}${path}`, { method, headers: { authorization: `Bearer ${t.userToken}`, 'content-type': 'application/json' }, body: body(nested(leaf, arrays)) });
        const text = await res.text();
        expect(res.status, `${method} ${path}: ${text.slice(0, 200)}`).toBe(400);
        const json = JSON.parse(text) as { type: string; message: string };
        expect(json.type).toBe('Validation');
        expect(json.message).toMatch(message);
        expect(json.message.length).toBeLessThan(400);
      }
    }
  });

  it('still names the path of a shallow offender', async () => {
    const res = await t.request('POST', '/applications', { body: '{"name":"x","description":"a","tags":[1,{"b":"\\u0000"}]}' });
    expect(res.statusCode).toBe(400);
    expect(res.json<{ message: string }>().message).toBe('tags[1].b must not contain NUL characters');
  });
});
