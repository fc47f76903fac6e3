import { EventEmitter } from 'node:events';
import http from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocketServer } from 'ws';
import type WebSocket from 'ws';
import { newId } from '../../src/lib/ids.js';
import type { IntegrationSpec, WebsocketConfig } from '../../src/domain/integration-spec.js';
import { certificates } from './certs.js';
import { once } from './wait.js';

/**
 * A `ws` server on 127.0.0.1, port 0, plain or TLS, that records upgrade
 * headers and what it receives, echoes every message back, and can be told to
 * refuse upgrades or to stop answering pings.
 */
export interface WsServer {
  /** ws:// or wss:// URL of the server, with the path `/feed?room=1`. */
  readonly url: string;
  readonly port: number;
  /** Headers of every upgrade request, accepted or not. */
  readonly upgrades: IncomingHttpHeaders[];
  /** Every message received, in order. */
  readonly received: { data: Buffer; binary: boolean }[];
  readonly clients: ReadonlySet<WebSocket>;
  /** A status to refuse upgrades with; undefined accepts them. */
  refuseWith: number | undefined;
  /** Whether pings get a pong. */
  answerPings: boolean;
  /** The `index`th message received (0-based), waiting for it if need be. */
  waitReceived(index: number): Promise<{ data: Buffer; binary: boolean }>;
  /** The next client to connect. */
  nextClient(): Promise<WebSocket>;
  /** Sends to every connected client. */
  send(data: string | Buffer): void;
  close(): Promise<void>;
}

export interface WsServerOptions {
  readonly tls?: boolean;
  /** TLS only: refuse clients without a certificate signed by the test CA. */
  readonly requireClientCert?: boolean;
}

export const WS_PATH = '/feed?room=1';

/** A WebSocket integration pointed at `server` (a TLS one trusted through the test CA unless overridden). */
export function wsSpec(server: Pick<WsServer, 'url'>, config: Partial<WebsocketConfig> = {}, topics: readonly string[] = []): IntegrationSpec {
  const base: WebsocketConfig = { url: server.url, ...(server.url.startsWith('wss:') ? { caCertificate: certificates().ca } : {}) };
  return { id: newId(), applicationId: newId(), name: 'test', integrationType: 'websocket', enabled: true, topics, config: { ...base, ...config }, status: {} };
}

export async function wsServer(options: WsServerOptions = {}): Promise<WsServer> {
  const requireClientCert = options.requireClientCert === true;
  const httpServer = options.tls ? https.createServer({ ...serverTls(), requestCert: requireClientCert, rejectUnauthorized: requireClientCert }) : http.createServer();
  const sockets = new Set<Socket>();
  httpServer.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  httpServer.on('tlsClientError', () => {});

  const upgrades: IncomingHttpHeaders[] = [];
  const received: { data: Buffer; binary: boolean }[] = [];
  const arrivals = new EventEmitter();
  const state = { refuseWith: undefined as number | undefined, answerPings: true };
  const wss = new WebSocketServer({
    server: httpServer,
    autoPong: false,
    verifyClient: (info, done) => {
      upgrades.push(info.req.headers);
      if (state.refuseWith === undefined) done(true);
      else done(false, state.refuseWith);
    },
  });
  wss.on('connection', (socket) => {
    socket.on('ping', (data) => {
      if (state.answerPings) socket.pong(data);
    });
    socket.on('message', (data, binary) => {
      const buffer = data as Buffer;
      received.push({ data: buffer, binary });
      arrivals.emit('message');
      socket.send(buffer, { binary });
    });
    socket.on('error', () => {});
  });

  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  const port = (httpServer.address() as AddressInfo).port;
  return {
    url: `${options.tls ? 'wss' : 'ws'}://127.0.0.1:${port}${WS_PATH}`,
    port,
    upgrades,
    received,
    clients: wss.clients,
    get refuseWith() {
      return state.refuseWith;
    },
    set refuseWith(status) {
      state.refuseWith = status;
    },
    get answerPings() {
      return state.answerPings;
    },
    set answerPings(answer) {
      state.answerPings = answer;
    },
    waitReceived: async (index) => {
      while (received.length <= index) await once(arrivals, 'message');
      return received[index]!;
    },
    nextClient: async () => {
      const [socket] = await once<[WebSocket]>(wss, 'connection');
      return socket;
    },
    send: (data) => {
      for (const client of wss.clients) client.send(data);
    },
    close: async () => {
      for (const client of wss.clients) client.terminate();
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => wss.close(resolve));
      await new Promise((resolve) => httpServer.close(resolve));
    },
  };
}

function serverTls(): { key: string; cert: string; ca: string } {
  const { ca, serverCert, serverKey } = certificates();
  return { key: serverKey, cert: serverCert, ca };
}
