import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { losantSchemaErrors } from '../support/losant-schemas.js';
import { E2E_ADMIN, startTestServer } from '../support/server.js';
import { storeTargets } from '../support/stores.js';

// The official client is CommonJS without types; this is the slice of it the test uses.
interface LosantError extends Error {
  statusCode: number;
  type: string;
}
type Call = (params: Record<string, unknown>) => Promise<Record<string, unknown>>;
interface LosantClient {
  auth: { authenticateUser: Call };
  applications: { get: Call; post: Call };
  application: { get: Call; patch: Call; delete: Call };
  applicationApiTokens: { get: Call; post: Call };
  applicationApiToken: { get: Call; patch: Call; delete: Call };
  integrations: { get: Call; post: Call };
  integration: { get: Call; patch: Call; delete: Call };
}
const require = createRequire(import.meta.url);
const { createClient } = require('losant-rest') as { createClient: (options: { url: string; accessToken?: string }) => LosantClient };

const execFileAsync = promisify(execFile);

async function rejection(promise: Promise<unknown>): Promise<LosantError> {
  try {
    await promise;
  } catch (err) {
    return err as LosantError;
  }
  throw new Error('expected the call to fail');
}

describe.each(storeTargets())('the official losant-rest client against a real server on $name', (target) => {
  let server: Awaited<ReturnType<typeof startTestServer>>;

  beforeAll(async () => {
    server = await startTestServer(target);
  });
  afterAll(async () => server.stop());

  it('drives the whole flow: login, application, token, integrations, errors', async () => {
    const anonymous = createClient({ url: server.url });
    const auth = await anonymous.auth.authenticateUser({ credentials: { email: E2E_ADMIN.email, password: E2E_ADMIN.password } });
    expect(auth).toMatchObject({ userId: expect.stringMatching(/^[a-f0-9]{24}$/) as string, token: expect.any(String) as string });
    const badLogin = await rejection(anonymous.auth.authenticateUser({ credentials: { email: E2E_ADMIN.email, password: 'not the password' } }));
    expect(badLogin.statusCode).toBe(401);
    expect(badLogin.type).toBe('Unauthorized');

    const user = createClient({ url: server.url, accessToken: auth.token as string });
    const app = await user.applications.post({ application: { name: 'E2E application', description: 'driven by losant-rest' } });
    const applicationId = app.id as string;
    expect(app).toMatchObject({ name: 'E2E application', _type: 'application' });
    expect((await user.applications.get({})).items).toHaveLength(1);

    const created = await user.applicationApiTokens.post({ applicationId, apiToken: { name: 'e2e', scope: ['all.Application'] } });
    expect(created.token).toEqual(expect.any(String));
    const client = createClient({ url: server.url, accessToken: created.token as string });

    const integration = await client.integrations.post({
      applicationId,
      integration: {
        name: 'Example Integrations',
        integrationType: 'mqtt',
        topics: ['myTopic'],
        enabled: false,
        mqttConfig: { clientId: 'exampleClientId', username: 'exampleUsername', password: 'examplePassword', port: 8883, protocol: 'mqtts', host: 'broker.example.com' },
      },
    });
    const integrationId = integration.id as string;
    expect(losantSchemaErrors('integration', integration)).toEqual([]);
    expect(integration).toMatchObject({ name: 'Example Integrations', enabled: false, topics: ['myTopic'] });

    expect(await client.integration.get({ applicationId, integrationId })).toMatchObject({ id: integrationId, mqttConfig: { password: 'examplePassword' } });
    const patched = await client.integration.patch({ applicationId, integrationId, integration: { topics: ['differentTopic'] } });
    expect(patched.topics).toEqual(['differentTopic']);

    await client.integrations.post({ applicationId, integration: { name: 'second', integrationType: 'websocket', enabled: false, websocketConfig: { url: 'wss://example.com/feed' } } });
    const list = await client.integrations.get({ applicationId, sortField: 'name', sortDirection: 'desc', perPage: 1, filterField: 'name', filter: '*' });
    expect(list).toMatchObject({ count: 1, totalCount: 2, perPage: 1, page: 0, sortField: 'name', sortDirection: 'desc' });
    expect(losantSchemaErrors('integrations', list)).toEqual([]);

    const invalid = await rejection(client.integrations.post({ applicationId, integration: { name: 'x', integrationType: 'mqtt' } }));
    expect(invalid.statusCode).toBe(400);
    expect(invalid.type).toBe('Validation');
    expect(invalid.message).toBe('mqttConfig is required');

    const missing = await rejection(client.integration.get({ applicationId, integrationId: '000000000000000000000000' }));
    expect(missing.statusCode).toBe(404);
    expect(missing.message).toBe('Integration was not found');

    const otherApp = await user.applications.post({ application: { name: 'other' } });
    const forbidden = await rejection(client.integrations.get({ applicationId: otherApp.id }));
    expect(forbidden.statusCode).toBe(403);

    expect(await client.integration.delete({ applicationId, integrationId })).toEqual({ success: true });
    expect((await rejection(client.integration.get({ applicationId, integrationId }))).statusCode).toBe(404);

    await user.applicationApiToken.patch({ applicationId, apiTokenId: created.id, apiToken: { status: 'inactive' } });
    expect((await rejection(client.integrations.get({ applicationId }))).statusCode).toBe(401);
    expect(await user.application.delete({ applicationId })).toEqual({ success: true });
  });

  it('answers the seeds’ own curl examples', async () => {
    const login = await fetch(`${server.url}/auth/user`, { method: 'POST', body: JSON.stringify(E2E_ADMIN), headers: { 'content-type': 'application/json' } });
    const token = ((await login.json()) as { token: string }).token;
    const app = await fetch(`${server.url}/applications`, { method: 'POST', body: JSON.stringify({ name: 'curl' }), headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } });
    const APPLICATION_ID = ((await app.json()) as { id: string }).id;
    const curl = async (method: string, url: string, data?: string) => {
      const args = ['-s', '-w', '\n%{http_code}', '-H', 'Content-Type: application/json', '-H', 'Accept: application/json', '-H', `Authorization: Bearer ${token}`, '-X', method];
      if (data) args.push('-d', data);
      const { stdout } = await execFileAsync('curl', [...args, url]);
      const lines = stdout.trimEnd().split('\n');
      return { status: Number(lines.pop()), body: JSON.parse(lines.join('\n')) as Record<string, unknown> };
    };
    const integrations = `${server.url}/applications/${APPLICATION_ID}/integrations`;

    const post = await curl('POST', integrations, '{"name":"Example Integrations","integrationType":"mqtt","topics":["myTopic"],"mqttConfig":{"clientId":"exampleClientId","username":"exampleUsername","password":"examplePassword","port":8883,"protocol":"mqtts","host":"broker.example.com"}}');
    expect(post.status).toBe(201);
    const INTEGRATION_ID = post.body.id as string;
    expect((await curl('GET', integrations)).status).toBe(200);
    expect((await curl('GET', `${integrations}/${INTEGRATION_ID}`)).body).toMatchObject({ id: INTEGRATION_ID });
    expect((await curl('PATCH', `${integrations}/${INTEGRATION_ID}`, '{"topics":["differentTopic"]}')).body).toMatchObject({ topics: ['differentTopic'] });
    expect(await curl('DELETE', `${integrations}/${INTEGRATION_ID}`)).toEqual({ status: 200, body: { success: true } });
  });
});
