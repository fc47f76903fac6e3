import type { Aedes } from 'aedes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IntegrationStatus } from '../../src/domain/integration-status.js';
import { aedesBroker, type Broker } from '../support/mqtt-brokers.js';
import { E2E_ADMIN, startTestServer } from '../support/server.js';
import { storeTargets } from '../support/stores.js';
import { waitFor } from '../support/wait.js';

/**
 * SPEC §10, outbound: a config naming a denied IP literal is a 400; a host
 * name resolving to a denied address fails to connect, saying so in
 * disconnectInfo.error. Nothing but 127.0.0.1 is ever contacted: literals
 * are refused before any connection, and the name's case denies 127.0.0.0/8
 * with an in-process broker there.
 */

type Server = Awaited<ReturnType<typeof startTestServer>>;

async function session(server: Server) {
  const login = await fetch(`${server.url}/auth/user`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(E2E_ADMIN) });
  const { token } = (await login.json()) as { token: string };
  const api = async <T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> => {
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: (await res.json()) as T };
  };
  const appId = (await api<{ id: string }>('POST', '/applications', { name: 'outbound' })).body.id;
  return { api, appId };
}

const mqtt = (host: string, port = 1883) => ({ name: `to ${host}`, integrationType: 'mqtt', enabled: false, topics: ['a'], mqttConfig: { host, port, protocol: 'mqtt' } });
const websocket = (url: string) => ({ name: `to ${url}`, integrationType: 'websocket', enabled: false, topics: [], websocketConfig: { url } });

describe.each(storeTargets().slice(0, 1))('outbound policy through the API on $name', (target) => {
  describe('by default (OUTBOUND_DENY 169.254.0.0/16,fe80::/10)', () => {
    let server: Server;
    let api: Awaited<ReturnType<typeof session>>['api'];
    let appId: string;
    beforeAll(async () => {
      server = await startTestServer(target);
      ({ api, appId } = await session(server));
    });
    afterAll(async () => server?.stop());

    it.each([
      ['an MQTT host 169.254.169.254', mqtt('169.254.169.254'), /^mqttConfig\.host: Connecting to 169\.254\.169\.254 is not allowed \(OUTBOUND_DENY 169\.254\.0\.0\/16\)$/],
      ['an MQTT host 2852039166 (169.254.169.254 spelt as a number)', mqtt('2852039166'), /mqttConfig\.host: Connecting to 169\.254\.169\.254 is not allowed/],
      ['an MQTT host fe80::1', mqtt('fe80::1'), /mqttConfig\.host: Connecting to fe80::1 is not allowed \(OUTBOUND_DENY fe80::\/10\)/],
      ['a WebSocket URL to 169.254.169.254', websocket('ws://169.254.169.254/latest/meta-data'), /^websocketConfig\.url: Connecting to 169\.254\.169\.254 is not allowed/],
      ['a WebSocket URL to [fe80::1]', websocket('wss://[fe80::1]:8443/feed'), /websocketConfig\.url: Connecting to fe80::1 is not allowed/],
    ])('refuses %s with 400 Validation, on POST, PATCH and probe', async (_what, body, message) => {
      const created = await api('POST', `/applications/${appId}/integrations`, body);
      expect(created.status).toBe(400);
      expect(created.body).toEqual({ type: 'Validation', message: expect.stringMatching(message) as unknown });
      const probed = await api('POST', `/applications/${appId}/integrations/probe`, body);
      expect(probed.status).toBe(400);
      const fine = body.integrationType === 'mqtt' ? mqtt('broker.example.com') : websocket('wss://ws.example.com/feed');
      const { body: made } = await api<{ id: string }>('POST', `/applications/${appId}/integrations`, fine);
      const patched = await api('PATCH', `/applications/${appId}/integrations/${made.id}`, { [`${body.integrationType}Config`]: (body as Record<string, unknown>)[`${body.integrationType}Config`] });
      expect(patched.status).toBe(400);
      expect(patched.body).toMatchObject({ type: 'Validation' });
    });
  });

  describe('with OUTBOUND_DENY 127.0.0.0/8', () => {
    let server: Server;
    let broker: Broker & { readonly aedes: Aedes };
    let clients = 0;
    beforeAll(async () => {
      broker = await aedesBroker();
      broker.aedes.on('client', () => (clients += 1));
      server = await startTestServer(target, { outboundDeny: [{ address: '127.0.0.0', prefix: 8, family: 'ipv4' }] });
    });
    afterAll(async () => {
      await server?.stop();
      await broker?.close();
    });

    it('fails to connect to a host name resolving to a denied address, with the reason in disconnectInfo.error', async () => {
      const { api, appId } = await session(server);
      const created = await api<{ id: string }>('POST', `/applications/${appId}/integrations`, { ...mqtt('localhost', broker.port), enabled: true });
      expect(created.status).toBe(201);
      const status = await waitFor(async () => {
        const { body } = await api<{ status: IntegrationStatus }>('GET', `/applications/${appId}/integrations/${created.body.id}`);
        return body.status.disconnectInfo?.error ? body.status : undefined;
      }, 'the refusal to be reported');
      expect(status.disconnectInfo?.error).toBe('Connecting to localhost (127.0.0.1) is not allowed (OUTBOUND_DENY 127.0.0.0/8)');
      expect(status.connectInfo?.ts ?? null).toBeNull();
      expect(clients).toBe(0);
      // And its literal address is refused outright.
      expect((await api('POST', `/applications/${appId}/integrations`, mqtt('127.0.0.1', broker.port))).status).toBe(400);
    });
  });
});
