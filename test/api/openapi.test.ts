import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../support/app.js';
import { storeTargets } from '../support/stores.js';

const [sqlite] = storeTargets();

describe('OpenAPI document and docs UI', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp(sqlite!);
  });
  afterAll(async () => t.close());

  it('describes every endpoint from the schemas the routes validate with', async () => {
    const res = await t.request('GET', '/openapi.json', { token: null });
    expect(res.statusCode).toBe(200);
    const doc = res.json<{ openapi: string; paths: Record<string, Record<string, { requestBody?: unknown; parameters?: { name: string }[]; responses: Record<string, unknown> }>> }>();
    expect(doc.openapi).toMatch(/^3\./);
    const expected: Record<string, string[]> = {
      '/auth/user': ['post'],
      '/applications': ['get', 'post'],
      '/applications/{applicationId}': ['get', 'patch', 'delete'],
      '/applications/{applicationId}/tokens': ['get', 'post'],
      '/applications/{applicationId}/tokens/{apiTokenId}': ['get', 'patch', 'delete'],
      '/applications/{applicationId}/integrations': ['get', 'post'],
      '/applications/{applicationId}/integrations/{integrationId}': ['get', 'patch', 'delete'],
      '/applications/{applicationId}/integrations/{integrationId}/messageStream': ['get'],
      '/applications/{applicationId}/integrationMessageStream': ['get'],
      '/applications/{applicationId}/integrations/{integrationId}/publish': ['post'],
      '/applications/{applicationId}/integrations/{integrationId}/events': ['get'],
    };
    for (const [path, methods] of Object.entries(expected)) {
      expect(Object.keys(doc.paths[path] ?? {}).sort(), path).toEqual([...methods].sort());
    }
    const post = doc.paths['/applications/{applicationId}/integrations']!.post!;
    expect(JSON.stringify(post.requestBody)).toContain('mqttConfig');
    expect(post.responses).toHaveProperty('201');
    expect(doc.paths['/applications/{applicationId}/integrations']!.get!.parameters?.map((p) => p.name)).toEqual(expect.arrayContaining(['sortField', 'perPage', 'filter']));
  });

  it('serves a docs UI at /docs', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/docs/' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/html/);
  });
});
