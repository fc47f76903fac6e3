import { spawn, execFile } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { promisify } from 'node:util';
import { Aedes } from 'aedes';
import type { AuthenticateError } from 'aedes';
import type { IClientOptions } from 'mqtt';
import { createWebSocketStream, WebSocketServer } from 'ws';
import { newId } from '../../src/lib/ids.js';
import type { IntegrationSpec, MqttConfig } from '../../src/domain/integration-spec.js';
import { certificates } from './certs.js';
import { services } from './services.js';
import { waitFor } from './wait.js';

/** MQTT brokers for the connector tests: all on 127.0.0.1, all on ports the OS picked. */

export const MOSQUITTO_BIN = '/usr/sbin/mosquitto';
export const MOSQUITTO_PASSWD_BIN = '/usr/bin/mosquitto_passwd';

export type Transport = 'mqtt' | 'mqtts' | 'ws' | 'wss';

export interface Broker {
  readonly kind: 'mosquitto' | 'aedes';
  readonly protocol: Transport;
  readonly host: string;
  readonly port: number;
  /** What an independent mqtt.js client (a test's peer) needs to reach this broker. */
  readonly peerOptions: IClientOptions;
  close(): Promise<void>;
}

export interface Credentials {
  readonly username: string;
  readonly password: string;
}

export interface AedesOptions {
  readonly transport?: Transport;
  /** TLS transports only: refuse clients without a certificate signed by the test CA. */
  readonly requireClientCert?: boolean;
  /** Only this user may connect; others get CONNACK 4 (bad username or password). */
  readonly credentials?: Credentials;
  /** Topic filters answered with SUBACK 0x80. */
  readonly refuseTopic?: (topic: string) => boolean;
}

const LOCALHOST = '127.0.0.1';

/** An MQTT integration pointed at `broker` (TLS brokers trusted through the test CA unless overridden). */
export function mqttSpec(broker: Pick<Broker, 'protocol' | 'host' | 'port'>, topics: readonly string[], config: Partial<MqttConfig> = {}): IntegrationSpec {
  const secure = broker.protocol === 'mqtts' || broker.protocol === 'wss';
  const base: MqttConfig = { protocol: broker.protocol, host: broker.host, port: broker.port, ...(secure ? { caCertificate: certificates().ca } : {}) };
  return { id: newId(), applicationId: newId(), name: 'test', integrationType: 'mqtt', enabled: true, topics, config: { ...base, ...config }, status: {} };
}

/**
 * The machine's Mosquitto when the global setup found it (shared with the
 * other test files: use unique topic prefixes), else an in-process aedes.
 */
export async function plainBroker(): Promise<Broker> {
  const mosquitto = services().mosquitto;
  if (mosquitto === null) return aedesBroker();
  return { kind: 'mosquitto', protocol: 'mqtt', ...mosquitto, peerOptions: { protocol: 'mqtt', ...mosquitto }, close: async () => {} };
}

/** An in-process aedes broker over the given transport. */
export async function aedesBroker(options: AedesOptions = {}): Promise<Broker & { readonly aedes: Aedes }> {
  const aedes = await Aedes.createBroker({
    authenticate: (_client, username, password, done) => {
      const wanted = options.credentials;
      if (wanted === undefined || (username === wanted.username && password?.toString() === wanted.password)) return done(null, true);
      // 4 is BAD_USERNAME_OR_PASSWORD (aedes declares it as an ambient const enum, which isolatedModules cannot read).
      const refusal: AuthenticateError = Object.assign(new Error('Bad username or password'), { returnCode: 4 });
      done(refusal, false);
    },
    authorizeSubscribe: (_client, subscription, done) => done(null, options.refuseTopic?.(subscription.topic) ? null : subscription),
  });
  const protocol = options.transport ?? 'mqtt';
  const server = listener(aedes, protocol, options.requireClientCert === true);
  const port = await listen(server, 0);
  const peerOptions: IClientOptions = { protocol, host: LOCALHOST, port, ...(protocol === 'ws' || protocol === 'wss' ? { path: '/mqtt' } : {}) };
  if (protocol === 'mqtts' || protocol === 'wss') {
    const { ca, clientCert, clientKey } = certificates();
    Object.assign(peerOptions, { ca, cert: clientCert, key: clientKey });
  }
  if (options.credentials) Object.assign(peerOptions, options.credentials);
  return {
    kind: 'aedes',
    protocol,
    host: LOCALHOST,
    port,
    aedes,
    peerOptions,
    close: async () => {
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      await closeServer(server);
    },
  };
}

/** A net/tls/http(s) server feeding aedes, tracking its sockets so it can be closed at once. */
type TrackedServer = net.Server & { readonly sockets: Set<net.Socket> };

function listener(aedes: Aedes, transport: Transport, requireClientCert: boolean): TrackedServer {
  const tlsOptions = () => {
    const { ca, serverCert, serverKey } = certificates();
    return { key: serverKey, cert: serverCert, ca, requestCert: requireClientCert, rejectUnauthorized: requireClientCert };
  };
  let server: net.Server;
  if (transport === 'mqtt') server = net.createServer(aedes.handle);
  else if (transport === 'mqtts') server = tls.createServer(tlsOptions(), aedes.handle);
  else {
    server = transport === 'wss' ? https.createServer(tlsOptions()) : http.createServer();
    const wss = new WebSocketServer({ server: server as http.Server, path: '/mqtt' });
    wss.on('connection', (socket, request) => aedes.handle(createWebSocketStream(socket), request));
  }
  return track(server);
}

function track(server: net.Server): TrackedServer {
  const sockets = new Set<net.Socket>();
  const connectionEvent = server instanceof tls.Server ? 'secureConnection' : 'connection';
  server.on(connectionEvent, (socket: net.Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  // TLS sockets that fail the handshake never reach secureConnection; their errors are expected here.
  server.on('tlsClientError', () => {});
  return Object.assign(server, { sockets });
}

function listen(server: net.Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, LOCALHOST, () => {
      server.off('error', reject);
      resolve((server.address() as net.AddressInfo).port);
    });
  });
}

function closeServer(server: TrackedServer): Promise<void> {
  for (const socket of server.sockets) socket.destroy();
  return new Promise((resolve) => server.close(() => resolve()));
}

export async function freePort(): Promise<number> {
  const probe = net.createServer();
  const port = await listen(probe, 0);
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** Whether a TCP connection to the port succeeds now. */
function accepting(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, LOCALHOST);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export function mosquittoAvailable(): boolean {
  return existsSync(MOSQUITTO_BIN);
}

/** A broker a test may kill and start again on the same port. */
export interface RestartableBroker extends Broker {
  stop(): Promise<void>;
  start(): Promise<void>;
}

export interface MosquittoOptions {
  /** Turns anonymous access off and lets only these users in. */
  readonly users?: readonly Credentials[];
}

/**
 * A dedicated Mosquitto process; null when the machine has no mosquitto
 * binary (or no mosquitto_passwd when users are asked for). No ACL option:
 * Mosquitto 2.0.11 grants (SUBACK 0) subscriptions its ACL denies, so refused
 * subscriptions are tested on aedes.
 */
export async function mosquittoProcess(options: MosquittoOptions = {}): Promise<RestartableBroker | null> {
  if (!mosquittoAvailable() || (options.users && !existsSync(MOSQUITTO_PASSWD_BIN))) return null;
  const dir = await mkdtemp(join(tmpdir(), 'tributary-mosquitto-'));
  const port = await freePort();
  const conf = [`listener ${port} ${LOCALHOST}`, 'persistence false', 'log_dest none', `user ${userInfo().username}`];
  if (options.users) {
    const passwords = join(dir, 'passwords');
    for (const [i, user] of options.users.entries()) {
      await promisify(execFile)(MOSQUITTO_PASSWD_BIN, [...(i === 0 ? ['-c'] : []), '-b', passwords, user.username, user.password]);
    }
    conf.push('allow_anonymous false', `password_file ${passwords}`);
  } else {
    conf.push('allow_anonymous true');
  }
  const confPath = join(dir, 'mosquitto.conf');
  await writeFile(confPath, conf.join('\n') + '\n');

  let child: ChildProcess | undefined;
  const start = async () => {
    const mosquitto = spawn(MOSQUITTO_BIN, ['-c', confPath], { stdio: 'ignore' });
    child = mosquitto;
    let exited = false;
    mosquitto.once('exit', () => (exited = true));
    await waitFor(async () => {
      if (exited) throw new Error(`mosquitto exited while starting on port ${port}`);
      return (await accepting(port)) ? true : undefined;
    }, `mosquitto to listen on ${port}`);
  };
  const stop = async () => {
    const mosquitto = child;
    child = undefined;
    if (mosquitto === undefined || mosquitto.exitCode !== null || mosquitto.signalCode !== null) return;
    const exited = new Promise((resolve) => mosquitto.once('exit', resolve));
    // SIGKILL: the broker dies as in a crash, its sockets closed by the kernel.
    mosquitto.kill('SIGKILL');
    await exited;
  };
  await start();
  return {
    kind: 'mosquitto',
    protocol: 'mqtt',
    host: LOCALHOST,
    port,
    peerOptions: { protocol: 'mqtt', host: LOCALHOST, port, ...(options.users?.[0] ?? {}) },
    start,
    stop,
    close: async () => {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Mosquitto when present, else aedes whose listener closes and listens again. */
export async function restartableBroker(): Promise<RestartableBroker> {
  const mosquitto = await mosquittoProcess();
  if (mosquitto !== null) return mosquitto;
  const aedes = await Aedes.createBroker();
  const server = track(net.createServer(aedes.handle));
  const port = await listen(server, 0);
  return {
    kind: 'aedes',
    protocol: 'mqtt',
    host: LOCALHOST,
    port,
    peerOptions: { protocol: 'mqtt', host: LOCALHOST, port },
    stop: () => closeServer(server),
    start: async () => {
      await listen(server, port);
    },
    close: async () => {
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      if (server.listening) await closeServer(server);
    },
  };
}

/** A bare TCP server for fault cases; `close` destroys whatever connected. */
export interface RawServer {
  readonly port: number;
  /** How many PINGREQs arrived (the deaf broker counts them). */
  readonly pings: number;
  close(): Promise<void>;
}

/** Accepts TCP connections and never says a word: a connect() to it can only time out. */
export async function silentServer(): Promise<RawServer> {
  const server = track(net.createServer(() => {}));
  const port = await listen(server, 0);
  return { port, pings: 0, close: () => closeServer(server) };
}

export interface DeafBrokerOptions {
  /** 5 answers CONNECT with an MQTT 5 CONNACK (then use no topics: SUBSCRIBE is parsed as 3.1.1). */
  readonly protocolVersion?: 4 | 5;
  /**
   * MQTT 5: answer any PUBLISH with a DISCONNECT carrying this reason code and
   * reason string, and leave closing the socket to the client.
   */
  readonly disconnectOnPublish?: { readonly reasonCode: number; readonly reasonString: string };
}

/**
 * The least MQTT broker that lets a client connect and subscribe: CONNACK
 * for CONNECT, SUBACK (all granted) for SUBSCRIBE, UNSUBACK for UNSUBSCRIBE,
 * and nothing at all for PINGREQ, like a broker that hung.
 */
export async function deafBroker(options: DeafBrokerOptions = {}): Promise<RawServer> {
  let pings = 0;
  const server = track(
    net.createServer((socket) => {
      let buffered = Buffer.alloc(0);
      socket.on('error', () => {});
      socket.on('data', (chunk) => {
        buffered = Buffer.concat([buffered, chunk]);
        for (;;) {
          const packet = nextPacket(buffered);
          if (packet === undefined) break;
          buffered = buffered.subarray(packet.length);
          const reply = answer(packet.type, packet.body, options);
          if (reply === 'ping') pings++;
          else if (reply !== undefined) socket.write(reply);
        }
      });
    }),
  );
  const port = await listen(server, 0);
  return {
    port,
    get pings() {
      return pings;
    },
    close: () => closeServer(server),
  };
}

/** One complete MQTT packet at the start of `data`: its type, body and total length. */
function nextPacket(data: Buffer): { type: number; body: Buffer; length: number } | undefined {
  let remaining = 0;
  let multiplier = 1;
  let offset = 1;
  for (;;) {
    if (offset >= data.length) return undefined;
    const byte = data[offset++]!;
    remaining += (byte & 0x7f) * multiplier;
    multiplier *= 128;
    if ((byte & 0x80) === 0) break;
  }
  if (data.length < offset + remaining) return undefined;
  return { type: data[0]! >> 4, body: data.subarray(offset, offset + remaining), length: offset + remaining };
}

function answer(type: number, body: Buffer, options: DeafBrokerOptions): Buffer | 'ping' | undefined {
  switch (type) {
    case 1: // CONNECT
      return options.protocolVersion === 5 ? Buffer.from([0x20, 0x03, 0x00, 0x00, 0x00]) : Buffer.from([0x20, 0x02, 0x00, 0x00]);
    case 3: {
      // PUBLISH
      const disconnect = options.disconnectOnPublish;
      if (disconnect === undefined) return undefined;
      const reason = Buffer.from(disconnect.reasonString);
      const properties = Buffer.concat([Buffer.from([0x1f, reason.length >> 8, reason.length & 0xff]), reason]);
      return Buffer.concat([Buffer.from([0xe0, 2 + properties.length, disconnect.reasonCode, properties.length]), properties]);
    }
    case 8: {
      // SUBSCRIBE: packet id, then (length, topic, options) per subscription
      let count = 0;
      for (let offset = 2; offset < body.length; offset += 2 + body.readUInt16BE(offset) + 1) count++;
      return Buffer.from([0x90, 2 + count, body[0]!, body[1]!, ...new Array<number>(count).fill(0)]);
    }
    case 10: // UNSUBSCRIBE
      return Buffer.from([0xb0, 0x02, body[0]!, body[1]!]);
    case 12: // PINGREQ
      return 'ping';
    default:
      return undefined;
  }
}
