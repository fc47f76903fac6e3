import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../support/app.js';
import { storeTargets } from '../support/stores.js';

/** SPEC §10: CORS_ORIGINS, the origins allowed to call the API from a browser (none by default). */

const ALLOWED = 'https://ops.example.com';

interface Answer {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
}

function send(port: number, method: string, path: string, headers: Record<string, string>): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, headers, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

const preflight = (origin: string, method = 'POST', headers = 'authorization,content-type') => ({
  origin,
  'access-control-request-method': method,
  'access-control-request-headers': headers,
});

describe.each(storeTargets().slice(0, 1))('CORS on $name', (target) => {
  const apps: TestApp[] = [];
  const listen = async (corsOrigins: readonly string[]) => {
    const t = await buildTestApp(target, { corsOrigins });
    apps.push(t);
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    return { t, port: (t.app.server.address() as AddressInfo).port };
  };
  let withCors: { t: TestApp; port: number };
  let without: { t: TestApp; port: number };

  beforeAll(async () => {
    withCors = await listen([ALLOWED, 'http://localhost:5173']);
    without = await listen([]);
  });
  afterAll(async () => {
    for (const t of apps) await t.close();
  });

  it('answers a preflight from an allowed origin with that origin, the API methods and the two headers', async () => {
    const res = await send(withCors.port, 'OPTIONS', '/applications', preflight(ALLOWED));
    expect(res.status).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe(ALLOWED);
    expect(String(res.headers['access-control-allow-methods']).split(',').map((s) => s.trim()).sort()).toEqual(['DELETE', 'GET', 'PATCH', 'POST']);
    expect(String(res.headers['access-control-allow-headers']).toLowerCase().split(',').map((s) => s.trim()).sort()).toEqual(['authorization', 'content-type']);
    expect(res.headers['access-control-allow-credentials']).toBeUndefined();
  });

  it('gives no CORS headers to another origin', async () => {
    for (const origin of ['https://evil.example.com', 'https://ops.example.com.evil.net', 'null']) {
      const res = await send(withCors.port, 'OPTIONS', '/applications', preflight(origin));
      expect(res.headers['access-control-allow-origin'], origin).toBeUndefined();
      const get = await send(withCors.port, 'GET', '/applications', { origin, authorization: `Bearer ${withCors.t.userToken}` });
      expect(get.headers['access-control-allow-origin'], origin).toBeUndefined();
    }
  });

  it('marks actual responses to an allowed origin, errors included', async () => {
    const ok = await send(withCors.port, 'GET', '/applications', { origin: ALLOWED, authorization: `Bearer ${withCors.t.userToken}` });
    expect(ok.status).toBe(200);
    expect(ok.headers['access-control-allow-origin']).toBe(ALLOWED);
    const refused = await send(withCors.port, 'GET', '/applications', { origin: ALLOWED });
    expect(refused.status).toBe(401);
    expect(refused.headers['access-control-allow-origin']).toBe(ALLOWED);
  });

  it('answers an OPTIONS without Origin with no error and no origin allowed', async () => {
    const res = await send(withCors.port, 'OPTIONS', '/applications', {});
    expect(res.status).toBeLessThan(400);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('allows no origin at all by default', async () => {
    const res = await send(without.port, 'OPTIONS', '/applications', preflight(ALLOWED));
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    const get = await send(without.port, 'GET', '/applications', { origin: ALLOWED, authorization: `Bearer ${without.t.userToken}` });
    expect(get.status).toBe(200);
    expect(get.headers['access-control-allow-origin']).toBeUndefined();
  });
});
