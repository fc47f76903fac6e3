import fs from 'node:fs';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { buildApp } from '../../src/app.js';
import { testConfig, type Config } from '../../src/config/config.js';
import { createContext, type Context, type ContextOptions } from '../../src/context.js';
import { tempDir, type StoreTarget } from './stores.js';

export const ADMIN = { email: 'admin@example.com', password: 'correct horse battery' };

export interface TestApp {
  readonly app: FastifyInstance;
  readonly ctx: Context;
  /** A token of the admin user (scope all.User). */
  readonly userToken: string;
  close(): Promise<void>;
  /** app.inject with the JSON body serialized and the token in Authorization. */
  request(method: string, url: string, options?: { token?: string | null; body?: unknown; headers?: Record<string, string> }): Promise<LightMyRequestResponse>;
  createApplication(name?: string, token?: string): Promise<string>;
  /** Creates an application API token and returns its token string. */
  createToken(applicationId: string, body?: Record<string, unknown>): Promise<{ id: string; token: string }>;
}

export async function buildTestApp(target: StoreTarget, overrides: Partial<Config> = {}, options: Omit<ContextOptions, 'store'> = {}): Promise<TestApp> {
  const dataDir = tempDir();
  const opened = await target.open();
  const config = testConfig({ dataDir, ...overrides });
  const ctx = await createContext(config, { ...options, store: opened.store, factories: options.factories ?? {} });
  await ctx.users.create(ADMIN.email, ADMIN.password);
  const app = await buildApp(ctx);
  await app.ready();
  const { token: userToken } = await ctx.auth.login(ADMIN.email, ADMIN.password, undefined, undefined);

  const request: TestApp['request'] = (method, url, opts = {}) => {
    const token = opts.token === undefined ? userToken : opts.token;
    return app.inject({
      method: method as 'GET',
      url,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}), ...opts.headers },
      ...(opts.body !== undefined ? { payload: typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body) } : {}),
    });
  };

  return {
    app,
    ctx,
    userToken,
    request,
    async close() {
      await ctx.runtime.stop();
      await app.close();
      await opened.destroy();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
    async createApplication(name = 'Test application', token = userToken) {
      const res = await request('POST', '/applications', { token, body: { name } });
      if (res.statusCode !== 201) throw new Error(`createApplication: ${res.statusCode} ${res.body}`);
      return res.json<{ id: string }>().id;
    },
    async createToken(applicationId, body = { name: 'test token' }) {
      const res = await request('POST', `/applications/${applicationId}/tokens`, { body });
      if (res.statusCode !== 201) throw new Error(`createToken: ${res.statusCode} ${res.body}`);
      const json = res.json<{ id: string; token: string }>();
      return { id: json.id, token: json.token };
    },
  };
}

export const mqttIntegration = (overrides: Record<string, unknown> = {}) => ({
  name: 'Example Integrations',
  integrationType: 'mqtt',
  topics: ['myTopic'],
  mqttConfig: { clientId: 'exampleClientId', username: 'exampleUsername', password: 'examplePassword', port: 8883, protocol: 'mqtts', host: 'broker.example.com' },
  ...overrides,
});
