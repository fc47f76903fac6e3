import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConnectError } from '../../../src/runtime/connector.js';
import type { Connector } from '../../../src/runtime/connector.js';
import type { IntegrationSpec } from '../../../src/domain/integration-spec.js';
import { createWebsocketConnector } from '../../../src/runtime/connectors/websocket/connector.js';
import type { WebsocketConnector } from '../../../src/runtime/connectors/websocket/connector.js';
import { certificates } from '../../support/certs.js';
import { freePort, silentServer } from '../../support/mqtt-brokers.js';
import { recordEvents } from '../../support/wait.js';
import type { EventRecorder } from '../../support/wait.js';
import { WS_PATH, wsServer, wsSpec } from '../../support/ws-servers.js';
import type { WsServer } from '../../support/ws-servers.js';

const OPTIONS = { connectTimeoutMs: 3000, keepaliveSeconds: 5 };
const open: Connector[] = [];

afterEach(async () => {
  await Promise.all(open.splice(0).map((connector) => connector.close()));
});

function start(spec: IntegrationSpec, options: Partial<typeof OPTIONS> = {}): { connector: Connector; recorder: EventRecorder } {
  const recorder = recordEvents();
  const connector = createWebsocketConnector(spec, recorder.events, { ...OPTIONS, ...options });
  open.push(connector);
  return { connector, recorder };
}

describe('over ws://', () => {
  let server: WsServer;
  beforeAll(async () => {
    server = await wsServer();
  });
  afterAll(() => server.close());
  afterEach(() => {
    server.refuseWith = undefined;
    server.answerPings = true;
  });

  it('sends the configured headers and basic auth with the upgrade', async () => {
    const headers = [{ headerKey: 'X-Api-Key', headerValue: 'k-123' }];
    const { connector } = start(wsSpec(server, { headers, username: 'ada', password: 'l0velace' }));
    await connector.connect();
    expect(server.upgrades.at(-1)).toMatchObject({ 'x-api-key': 'k-123', authorization: `Basic ${Buffer.from('ada:l0velace').toString('base64')}` });
  });

  it('leaves an Authorization header written by hand alone', async () => {
    const headers = [{ headerKey: 'Authorization', headerValue: 'Bearer t0ken' }];
    const { connector } = start(wsSpec(server, { headers, username: 'ada', password: 'l0velace' }));
    await connector.connect();
    expect(server.upgrades.at(-1)?.authorization).toBe('Bearer t0ken');
  });

  it('flags binary frames as binary and text frames as text, under the URL path', async () => {
    const { connector, recorder } = start(wsSpec(server));
    await connector.connect();
    server.send('plain text');
    server.send(Buffer.from([0, 1, 2, 255]));
    await recorder.waitMessage((m) => m.binary);
    expect(recorder.messages).toEqual([
      { topic: WS_PATH, payload: 'plain text', binary: false },
      { topic: WS_PATH, payload: Buffer.from([0, 1, 2, 255]), binary: true },
    ]);
  });

  it('sends strings as text frames and Buffers as binary frames', async () => {
    const { connector } = start(wsSpec(server));
    await connector.connect();
    const first = server.received.length;
    await connector.publish({ topic: 'ignored', payload: 'hi', qos: 2, retain: true });
    await connector.publish({ topic: 'ignored', payload: Buffer.from([9, 8]), qos: 0, retain: false });
    expect(await server.waitReceived(first)).toEqual({ data: Buffer.from('hi'), binary: false });
    expect(await server.waitReceived(first + 1)).toEqual({ data: Buffer.from([9, 8]), binary: true });
  });

  it('remembers topics without giving them a meaning on the wire', async () => {
    const { connector } = start(wsSpec(server, {}, ['a']));
    await connector.setTopics(['b', 'c']);
    expect((connector as WebsocketConnector).topics).toEqual(['b', 'c']);
  });

  it('says the server refused the upgrade, with its status', async () => {
    server.refuseWith = 401;
    const { connector, recorder } = start(wsSpec(server));
    const attempt = connector.connect();
    await expect(attempt).rejects.toBeInstanceOf(ConnectError);
    await expect(attempt).rejects.toThrow('Unexpected server response: 401');
    expect(recorder.count).toBe(0);
  });

  // Fractions of a second keep these fast; only MQTT needs whole seconds on the wire.
  it('takes pongs as signs of life', async () => {
    const { connector, recorder } = start(wsSpec(server), { keepaliveSeconds: 0.2 });
    await connector.connect();
    await recorder.waitAlive(2000);
  });

  it('ends the link when pongs stop coming', async () => {
    server.answerPings = false;
    const { connector, recorder } = start(wsSpec(server), { keepaliveSeconds: 0.2 });
    await connector.connect();
    expect(await recorder.waitDown(2000)).toBe('Keepalive timeout');
    expect(recorder.alives).toBe(0);
  });

  it('reports the close code and reason of the server', async () => {
    for (const [reason, expected] of [
      ['', 'Connection closed by the server (1001 going away)'],
      ['maintenance', 'Connection closed by the server (1001 maintenance)'],
    ]) {
      const accepted = server.nextClient();
      const { connector, recorder } = start(wsSpec(server));
      await connector.connect();
      (await accepted).close(1001, reason);
      expect(await recorder.waitDown()).toBe(expected);
    }
  });
});

describe('over wss://', () => {
  let server: WsServer;
  let strict: WsServer;
  beforeAll(async () => {
    server = await wsServer({ tls: true });
    strict = await wsServer({ tls: true, requireClientCert: true });
  });
  afterAll(async () => {
    await server.close();
    await strict.close();
  });

  it('trusts the server through the configured CA only', async () => {
    await start(wsSpec(server)).connector.connect();
    for (const caCertificate of [undefined, certificates().otherCa]) {
      const { connector } = start(wsSpec(server, { caCertificate }));
      await expect(connector.connect()).rejects.toThrow(/^TLS error: self-signed certificate in certificate chain \(SELF_SIGNED_CERT_IN_CHAIN\)$/);
    }
  });

  it('connects anyway with disableSSLVerification', async () => {
    await start(wsSpec(server, { caCertificate: undefined, disableSSLVerification: true })).connector.connect();
  });

  it('presents a client certificate to a server that requires one', async () => {
    await expect(start(wsSpec(strict)).connector.connect()).rejects.toBeInstanceOf(ConnectError);
    const { clientCert, clientKey } = certificates();
    await start(wsSpec(strict, { certificate: clientCert, privateKey: clientKey })).connector.connect();
  });
});

describe('failures', () => {
  it('says the connection was refused', async () => {
    const port = await freePort();
    const { connector } = start(wsSpec({ url: `ws://127.0.0.1:${port}/x` }));
    await expect(connector.connect()).rejects.toThrow(`Connection refused by 127.0.0.1:${port} (ECONNREFUSED)`);
  });

  it('gives up on a server that never answers the upgrade', async () => {
    const server = await silentServer();
    try {
      const { connector } = start(wsSpec({ url: `ws://127.0.0.1:${server.port}/x` }), { connectTimeoutMs: 300 });
      await expect(connector.connect()).rejects.toThrow('Connection timed out after 300 ms');
    } finally {
      await server.close();
    }
  });

  it('rejects a URL it cannot parse', async () => {
    const { connector } = start(wsSpec({ url: 'not a url' }));
    await expect(connector.connect()).rejects.toThrow(ConnectError);
  });
});
