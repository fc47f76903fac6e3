import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, mqttIntegration, type TestApp } from '../support/app.js';
import { certificates } from '../support/certs.js';
import { losantSchemaErrors } from '../support/losant-schemas.js';
import { storeTargets } from '../support/stores.js';

interface Integration {
  id: string;
  integrationId: string;
  applicationId: string;
  name: string;
  enabled: boolean;
  topics: string[];
  status: Record<string, unknown>;
  mqttConfig?: Record<string, unknown>;
  [key: string]: unknown;
}

describe.each(storeTargets())('integrations API on $name', (target) => {
  let t: TestApp;
  let appId: string;
  const base = () => `/applications/${appId}/integrations`;

  beforeAll(async () => {
    t = await buildTestApp(target);
    appId = await t.createApplication();
  });
  afterAll(async () => t.close());

  async function create(body: unknown = mqttIntegration()): Promise<Integration> {
    const res = await t.request('POST', base(), { body });
    expect(res.statusCode, res.body).toBe(201);
    return res.json<Integration>();
  }

  it('creates the seed example exactly as documented (201, defaults, links, schema)', async () => {
    const body = mqttIntegration();
    const res = await t.request('POST', base(), { body, headers: { accept: 'application/json' } });
    expect(res.statusCode).toBe(201);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    const created = res.json<Integration>();
    expect(created).toMatchObject({ ...body, applicationId: appId, enabled: true, status: {}, _type: 'integration' });
    expect(created.id).toMatch(/^[a-f0-9]{24}$/);
    expect(created.integrationId).toBe(created.id);
    expect(created.creationDate).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(created._links).toEqual({
      self: { href: `/applications/${appId}/integrations/${created.id}` },
      application: { href: `/applications/${appId}` },
      integrations: { href: `/applications/${appId}/integrations` },
    });
    expect(losantSchemaErrors('integration', created)).toEqual([]);
  });

  it('defaults topics to [] and honours enabled: false', async () => {
    const created = await create({ name: 'ws', integrationType: 'websocket', enabled: false, websocketConfig: { url: 'wss://example.com/x' } });
    expect(created.topics).toEqual([]);
    expect(created.enabled).toBe(false);
  });

  it('gets, patches (the seed example) and deletes', async () => {
    const created = await create();
    const got = await t.request('GET', `${base()}/${created.id}`);
    expect(got.statusCode).toBe(200);
    expect(got.json()).toMatchObject({ id: created.id, name: created.name, mqttConfig: created.mqttConfig });
    expect(losantSchemaErrors('integration', got.json())).toEqual([]);

    const patched = await t.request('PATCH', `${base()}/${created.id}`, { body: { topics: ['differentTopic'] } });
    expect(patched.statusCode).toBe(200);
    expect(patched.json()).toMatchObject({ topics: ['differentTopic'], mqttConfig: created.mqttConfig, name: created.name });
    expect(Date.parse(patched.json<Integration>().lastUpdated as string)).toBeGreaterThanOrEqual(Date.parse(created.lastUpdated as string));

    const deleted = await t.request('DELETE', `${base()}/${created.id}`);
    expect(deleted.statusCode).toBe(200);
    expect(deleted.json()).toEqual({ success: true });
    const gone = await t.request('GET', `${base()}/${created.id}`);
    expect(gone.statusCode).toBe(404);
    expect(gone.json()).toEqual({ type: 'NotFound', message: 'Integration was not found' });
    expect((await t.request('DELETE', `${base()}/${created.id}`)).statusCode).toBe(404);
  });

  it('accepts every integration type with its config', async () => {
    const { ca: caPem, clientCert: certPem, clientKey: keyPem } = certificates();
    const bodies = [
      { name: 'mqtt full', integrationType: 'mqtt', topics: ['a/+/c', 'd/#'], mqttConfig: { host: '127.0.0.1', port: 1883, protocol: 'mqtt', clean: false, protocolVersion: '5', certificate: certPem, privateKey: keyPem, caCertificate: caPem, disableSSLVerification: true } },
      { name: 'websocket', integrationType: 'websocket', websocketConfig: { url: 'wss://example.com/feed', username: 'u', password: 'p', headers: [{ headerKey: 'X-Key', headerValue: 'v' }], caCertificate: caPem } },
      { name: 'particle', integrationType: 'particle', particleConfig: { accessToken: 'tok', productSlugOrId: 'p', orgSlugOrId: 'o', deviceNameOrId: 'd' } },
      { name: 'sqs', integrationType: 'sqs', sqsConfig: { accessKeyId: 'AKIA1234', secretAccessKey: 'secret123', region: 'us-east-1', queueUrl: 'https://sqs.example/q' } },
      { name: 'pubsub', integrationType: 'googlePubSub', googlePubSubConfig: { projectId: 'proj', keyJson: '{"type":"service_account"}' } },
      { name: 'azure conn', integrationType: 'azureEventHub', azureEventHubConfig: { hubName: 'h', consumerGroup: '$Default', connectionString: 'Endpoint=sb://x/;SharedAccessKey=k' } },
      { name: 'azure host', integrationType: 'azureEventHub', azureEventHubConfig: { hubName: 'h', consumerGroup: '$Default', hostName: 'x.servicebus.windows.net' } },
    ];
    for (const body of bodies) {
      const created = await create(body);
      const configKey = Object.keys(body).find((k) => k.endsWith('Config'))!;
      expect(created[configKey]).toEqual((body as Record<string, unknown>)[configKey]);
      expect(losantSchemaErrors('integration', created)).toEqual([]);
    }
  });

  it('keeps secrets encrypted at rest and returns them in plain text', async () => {
    const created = await create(mqttIntegration({ name: 'secretive' }));
    const row = await t.ctx.store.integrations.findById(appId, created.id);
    expect(row?.config).not.toHaveProperty('password', 'examplePassword');
    expect(JSON.stringify(row)).not.toContain('examplePassword');
    expect(row?.secrets).toMatch(/^v1\./);
    expect(created.mqttConfig?.password).toBe('examplePassword');
  });

  it('replaces a config object whole on PATCH, secrets included', async () => {
    const created = await create();
    const res = await t.request('PATCH', `${base()}/${created.id}`, { body: { mqttConfig: { host: 'other.example.com', port: 1883, protocol: 'mqtt' } } });
    expect(res.statusCode).toBe(200);
    expect(res.json<Integration>().mqttConfig).toEqual({ host: 'other.example.com', port: 1883, protocol: 'mqtt' });
    expect(JSON.stringify(await t.ctx.store.integrations.findById(appId, created.id))).not.toContain('examplePassword');
  });

  it('sets and clears credentialName', async () => {
    const created = await create(mqttIntegration({ credentialName: 'my-cred' }));
    expect(created.credentialName).toBe('my-cred');
    const cleared = await t.request('PATCH', `${base()}/${created.id}`, { body: { credentialName: null } });
    expect(cleared.json()).not.toHaveProperty('credentialName');
  });

  describe('refuses invalid input with a message naming the field', () => {
    const cases: [string, unknown, RegExp][] = [
      ['no name', { integrationType: 'mqtt', mqttConfig: { host: 'h', port: 1, protocol: 'mqtt' } }, /^name is required$/],
      ['empty name', mqttIntegration({ name: '' }), /^name must NOT have fewer than 1 characters$/],
      ['unknown type', mqttIntegration({ integrationType: 'kafka' }), /^integrationType must be one of: /],
      ['missing config of its type', { name: 'x', integrationType: 'mqtt' }, /^mqttConfig is required$/],
      ['config missing a required field', { name: 'x', integrationType: 'mqtt', mqttConfig: { host: 'h', port: 1 } }, /^mqttConfig\.protocol is required$/],
      ['port out of range', { name: 'x', integrationType: 'mqtt', mqttConfig: { host: 'h', port: 70000, protocol: 'mqtt' } }, /^mqttConfig\.port must be <= 65535$/],
      ['port as a string', { name: 'x', integrationType: 'mqtt', mqttConfig: { host: 'h', port: '1883', protocol: 'mqtt' } }, /^mqttConfig\.port must be an integer$/],
      ['unknown field', mqttIntegration({ color: 'red' }), /^color is not an allowed field$/],
      ['unknown config field', { name: 'x', integrationType: 'mqtt', mqttConfig: { host: 'h', port: 1, protocol: 'mqtt', qos: 1 } }, /^mqttConfig\.qos is not an allowed field$/],
      ['config of another type', { ...mqttIntegration(), websocketConfig: { url: 'ws://x' } }, /^websocketConfig cannot be given for an integration of type mqtt/],
      ['duplicate topics', mqttIntegration({ topics: ['a', 'a'] }), /^topics must not contain duplicates/],
      ['empty topic', mqttIntegration({ topics: [''] }), /^topics\[0\] must NOT have fewer than 1 characters$/],
      ['bad MQTT filter', mqttIntegration({ topics: ['a/#/b'] }), /^topics\[0\] is not a valid MQTT topic filter/],
      ['host with a scheme', { name: 'x', integrationType: 'mqtt', mqttConfig: { host: 'mqtt://h', port: 1, protocol: 'mqtt' } }, /^mqttConfig\.host must be a host name/],
      ['bad PEM', { name: 'x', integrationType: 'mqtt', mqttConfig: { host: 'h', port: 1, protocol: 'mqtt', caCertificate: 'not a cert' } }, /^mqttConfig\.caCertificate is not a PEM certificate$/],
      ['websocket URL not ws', { name: 'x', integrationType: 'websocket', websocketConfig: { url: 'http://x' } }, /^websocketConfig\.url must start with ws:\/\/ or wss:\/\/$/],
      ['sqs queueUrl too long', { name: 'x', integrationType: 'sqs', sqsConfig: { queueUrl: 'q'.repeat(257) } }, /^sqsConfig\.queueUrl must NOT have more than 256 characters$/],
      ['sqs key too short', { name: 'x', integrationType: 'sqs', sqsConfig: { queueUrl: 'q', accessKeyId: 'abc' } }, /^sqsConfig\.accessKeyId must NOT have fewer than 4 characters$/],
      ['azure with both', { name: 'x', integrationType: 'azureEventHub', azureEventHubConfig: { hubName: 'h', consumerGroup: 'c', hostName: 'x', connectionString: 'y' } }, /^azureEventHubConfig must have hubName and consumerGroup, and exactly one of connectionString or hostName$/],
      ['too many headers', { name: 'x', integrationType: 'websocket', websocketConfig: { url: 'ws://x', headers: Array.from({ length: 51 }, (_, i) => ({ headerKey: `k${i}`, headerValue: 'v' })) } }, /^websocketConfig\.headers must NOT have more than 50 items$/],
      ['not an object', [1, 2], /^The request body must be an object$/],
    ];
    it.each(cases)('%s', async (_name, body, message) => {
      const res = await t.request('POST', base(), { body });
      expect(res.statusCode, res.body).toBe(400);
      expect(res.json<{ type: string }>().type).toBe('Validation');
      expect(res.json<{ message: string }>().message).toMatch(message);
    });

    it('on PATCH too: integrationType, another type config, bad values', async () => {
      const created = await create();
      const url = `${base()}/${created.id}`;
      for (const [body, message] of [
        [{ integrationType: 'websocket' }, /^integrationType is not an allowed field$/],
        [{ websocketConfig: { url: 'ws://x' } }, /^websocketConfig cannot be given/],
        [{ enabled: 'yes' }, /^enabled must be a boolean$/],
        [{ topics: ['+/#/x'] }, /^topics\[0\] is not a valid MQTT topic filter/],
      ] as const) {
        const res = await t.request('PATCH', url, { body });
        expect(res.statusCode).toBe(400);
        expect(res.json<{ message: string }>().message).toMatch(message);
      }
      expect((await t.request('GET', url)).json()).toMatchObject({ topics: created.topics, mqttConfig: created.mqttConfig });
    });
  });

  describe('lists', () => {
    let listAppId: string;
    beforeAll(async () => {
      listAppId = await t.createApplication('lists');
      for (const name of ['Pump 1', 'pump 2', 'Valve', 'pump%', 'tank_a']) {
        const res = await t.request('POST', `/applications/${listAppId}/integrations`, { body: mqttIntegration({ name }) });
        expect(res.statusCode).toBe(201);
      }
      await t.request('POST', `/applications/${listAppId}/integrations`, { body: { name: 'socket', integrationType: 'websocket', websocketConfig: { url: 'ws://x' } } });
    });

    it('echoes the defaults and carries counts and links', async () => {
      const res = await t.request('GET', `/applications/${listAppId}/integrations`);
      expect(res.statusCode).toBe(200);
      const body = res.json<Record<string, unknown> & { items: Integration[] }>();
      expect(body).toMatchObject({ count: 6, totalCount: 6, perPage: 1000, page: 0, sortField: 'name', sortDirection: 'asc', applicationId: listAppId, _type: 'integrations' });
      expect(body.items.map((i) => i.name)).toEqual(['Pump 1', 'Valve', 'pump 2', 'pump%', 'socket', 'tank_a']);
      expect(losantSchemaErrors('integrations', body)).toEqual([]);
    });

    it('filters with a case-insensitive glob and pages', async () => {
      const res = await t.request('GET', `/applications/${listAppId}/integrations?filterField=name&filter=PUMP*&perPage=2&page=1&sortDirection=desc`);
      const body = res.json<{ items: Integration[]; count: number; totalCount: number; filter: string; filterField: string }>();
      expect(body).toMatchObject({ count: 1, totalCount: 3, filter: 'PUMP*', filterField: 'name', page: 1, perPage: 2, sortDirection: 'desc' });
      expect(body.items.map((i) => i.name)).toEqual(['Pump 1']);
      const literal = await t.request('GET', `/applications/${listAppId}/integrations?filterField=name&filter=${encodeURIComponent('pump%')}`);
      expect(literal.json<{ items: Integration[] }>().items.map((i) => i.name)).toEqual(['pump%']);
      const byType = await t.request('GET', `/applications/${listAppId}/integrations?filterField=integrationType&filter=websocket&sortField=integrationType`);
      expect(byType.json<{ items: Integration[] }>().items.map((i) => i.name)).toEqual(['socket']);
    });

    it('ignores a blank filter and drops links on request', async () => {
      const res = await t.request('GET', `/applications/${listAppId}/integrations?filterField=&filter=&_links=false`);
      const body = res.json<{ totalCount: number; _links?: unknown; items: Integration[] }>();
      expect(body.totalCount).toBe(6);
      expect(body._links).toBeUndefined();
      expect(body.items[0]?._links).toBeUndefined();
    });
  });

  it('does not find another application’s integration through this application', async () => {
    const otherApp = await t.createApplication('other');
    const created = await create();
    const res = await t.request('GET', `/applications/${otherApp}/integrations/${created.id}`);
    expect(res.statusCode).toBe(404);
  });

  it('names a malformed id in the path', async () => {
    const res = await t.request('GET', `${base()}/not-an-id`);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ type: 'Validation', message: 'integrationId must be a 24-character lowercase hex id' });
  });
});
