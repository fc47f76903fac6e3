import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { MqttClient, type IClientOptions } from 'mqtt';
import type { ConnectorOptions } from '../../connector.js';
import type { IntegrationSpec, MqttConfig } from '../../../domain/integration-spec.js';
import { checkLiteralHost } from '../outbound.js';
import { sharedSecureContext } from '../tls-contexts.js';
import { AckGate } from './ack-gate.js';
import { openTransport } from './transport.js';

/** How long a persistent MQTT 5 session outlives its connection (see below). */
const PERSISTENT_SESSION_SECONDS = 24 * 60 * 60;

/** mqtt.js logs through `debug`, one instance per client; a shared no-op saves that per connection. */
const silent = (): void => {};

/** The integration's config; the API validated it against the type's schema before storing it. */
export function mqttConfig(spec: IntegrationSpec): MqttConfig {
  return spec.config as unknown as MqttConfig;
}

export function defaultClientId(spec: IntegrationSpec): string {
  return `tributary-${spec.id}`;
}

export function protocolVersionOf(config: MqttConfig): 4 | 5 {
  return config.protocolVersion === '5' ? 5 : 4;
}

/**
 * The options of one mqtt.js client, i.e. of one connect() attempt. mqtt.js
 * is told to do nothing on its own: the supervisor owns reconnects, the
 * connector owns subscriptions, so a client is used once and thrown away.
 */
export function mqttClientOptions(spec: IntegrationSpec, options: ConnectorOptions): IClientOptions {
  const config = mqttConfig(spec);
  const protocolVersion = protocolVersionOf(config);
  // A probe must not kick a live integration with the same client id off the broker, nor take over its session.
  const clean = options.probe ? true : (config.clean ?? true);
  const webSocket = config.protocol === 'ws' || config.protocol === 'wss';
  const secure = config.protocol === 'mqtts' || config.protocol === 'wss';
  const client: IClientOptions = {
    protocol: config.protocol,
    host: config.host,
    port: config.port,
    clientId: options.probe ? `tributary-probe-${randomBytes(6).toString('hex')}` : config.clientId || defaultClientId(spec),
    clean,
    protocolVersion,
    keepalive: options.keepaliveSeconds,
    connectTimeout: options.connectTimeoutMs,
    reconnectPeriod: 0,
    resubscribe: false,
    queueQoSZero: false,
    // Without this every PUBACK/SUBACK re-arms the keepalive interval (a
    // clearInterval + setInterval per acknowledged publish); one PINGREQ per
    // keepalive period is cheaper than that.
    reschedulePings: false,
    timerVariant: 'native',
    log: silent,
  };
  if (config.username) client.username = config.username;
  if (config.password) client.password = config.password;
  // MQTT 5 ends a session when its connection ends unless told otherwise, so
  // `clean: false` only keeps messages across reconnects with an expiry. A day
  // covers any outage the backoff rides through without pinning a deleted
  // integration's queue on the broker forever.
  if (protocolVersion === 5 && !clean) client.properties = { sessionExpiryInterval: PERSISTENT_SESSION_SECONDS };
  if (webSocket) {
    client.path = '/mqtt';
    // Compression would cost a zlib context per connection; MQTT payloads are small.
    client.wsOptions = { perMessageDeflate: false };
  }
  // TLS only for TLS protocols: mqtt.js silently upgrades mqtt→mqtts and
  // ws→wss when it sees a client certificate, which would change the
  // transport the user chose.
  // mqtt.js hands these on to tls.connect and, for ws/wss, to ws and http.request (see openMqttClient for plain TCP).
  if (options.outbound) Object.assign(client, { lookup: options.outbound.lookup });
  if (webSocket && options.outbound) Object.assign(client.wsOptions ?? {}, { lookup: options.outbound.lookup });
  if (secure) {
    const tls = {
      // The material travels as a shared SecureContext (see tls-contexts.ts);
      // mqtt.js hands it to tls.connect, or to ws for wss.
      secureContext: sharedSecureContext({
        ca: config.caCertificate || undefined,
        cert: config.certificate && config.privateKey ? config.certificate : undefined,
        key: config.certificate && config.privateKey ? config.privateKey : undefined,
      }),
      rejectUnauthorized: config.disableSSLVerification !== true,
      // SNI carries host names only; Node warns (DEP0123) when given an IP address.
      ...(isIP(config.host) === 0 ? { servername: config.host } : {}),
    };
    Object.assign(client, tls);
    if (webSocket) Object.assign(client.wsOptions ?? {}, tls);
  }
  return client;
}

/** mqtt.js swallows its client's errors unless someone listens; the connector listens for its own. */
const ignore = (): void => {};

/** One attempt's client and the gate its acknowledgements pass (see ack-gate.ts). */
export interface OpenedClient {
  readonly client: MqttClient;
  readonly gate: AckGate;
}

/**
 * One mqtt.js client for one attempt, on a socket the connector opens itself
 * (transport.ts) behind an AckGate, held to the outbound policy: an IP
 * literal is checked here (it never reaches DNS), a host name through the
 * policy's `lookup`.
 */
export function openMqttClient(spec: IntegrationSpec, options: ConnectorOptions): OpenedClient {
  const client = mqttClientOptions(spec, options);
  if (options.outbound) checkLiteralHost(options.outbound, mqttConfig(spec).host);
  let gate: AckGate | undefined;
  const mqtt = new MqttClient(() => (gate = new AckGate(openTransport(client))), client);
  mqtt.on('error', ignore);
  return { client: mqtt, gate: gate! };
}
