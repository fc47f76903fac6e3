import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/open.js';
import { buildTestApp, type TestApp } from '../support/app.js';
import { tempDir, type StoreTarget } from '../support/stores.js';

/** SPEC §10: WebSocket URL userinfo, query values and header values are sealed at rest like every other secret. */

const SECRETS = ['s3cretUserinfo', 's3cretQuery', 's3cretHeader', 's3cretApiKey'];

const websocketIntegration = (n: number) => ({
  name: `feed ${n}`,
  integrationType: 'websocket',
  enabled: false,
  topics: [],
  websocketConfig: {
    url: `wss://alice:s3cretUserinfo@ws.example.com/feed?token=s3cretQuery&n=${n}`,
    headers: [
      { headerKey: 'Authorization', headerValue: 'Bearer s3cretHeader' },
      { headerKey: 'X-Api-Key', headerValue: 's3cretApiKey' },
    ],
  },
});

describe('WebSocket credentials at rest', () => {
  const dir = tempDir();
  const file = path.join(dir, 'tributary.db');
  /** SQLite at a known file, so the test can read the rows as stored. */
  const target: StoreTarget = {
    name: 'sqlite',
    async open() {
      const store = await openStore({ kind: 'sqlite', file });
      return { store, destroy: () => store.close() };
    },
  };
  let t: TestApp;
  let base: string;
  let appId: string;

  const call = async (method: string, url: string, body?: unknown) => {
    const res = await fetch(`${base}${url}`, { method, headers: { authorization: `Bearer ${t.userToken}`, 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
    return { status: res.status, body: (await res.json()) as { id: string; websocketConfig: unknown } };
  };
  const rawRows = () => {
    const db = new Database(file, { readonly: true, fileMustExist: true });
    try {
      return JSON.stringify(db.prepare('SELECT * FROM integrations').all());
    } finally {
      db.close();
    }
  };

  beforeAll(async () => {
    t = await buildTestApp(target);
    appId = await t.createApplication('websocket secrets');
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await t?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('stores none of the secret texts in plain, and gives them back to the API', async () => {
    const created = await call('POST', `/applications/${appId}/integrations`, websocketIntegration(1));
    expect(created.status).toBe(201);
    expect(created.body.websocketConfig).toEqual(websocketIntegration(1).websocketConfig);
    const stored = rawRows();
    expect(stored).toContain(created.body.id);
    for (const secret of SECRETS) expect(stored).not.toContain(secret);
    // Nor in the file itself (the WAL included), which is what a stolen disk shows.
    for (const name of fs.readdirSync(dir)) {
      const bytes = fs.readFileSync(path.join(dir, name)).toString('latin1');
      for (const secret of SECRETS) expect(bytes.includes(secret), `${name} holds ${secret}`).toBe(false);
    }
    const read = await call('GET', `/applications/${appId}/integrations/${created.body.id}`);
    expect(read.body.websocketConfig).toEqual(websocketIntegration(1).websocketConfig);
  });

  it('seals them on PATCH too', async () => {
    const created = await call('POST', `/applications/${appId}/integrations`, { ...websocketIntegration(2), websocketConfig: { url: 'wss://ws.example.com/plain' } });
    const patched = await call('PATCH', `/applications/${appId}/integrations/${created.body.id}`, { websocketConfig: websocketIntegration(3).websocketConfig });
    expect(patched.status).toBe(200);
    expect(patched.body.websocketConfig).toEqual(websocketIntegration(3).websocketConfig);
    const stored = rawRows();
    for (const secret of SECRETS) expect(stored).not.toContain(secret);
  });
});
