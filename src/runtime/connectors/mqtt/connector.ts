import type { IConnackPacket, IDisconnectPacket, MqttClient, Packet } from 'mqtt';
import { validateTopicName } from '../../../lib/mqtt-topics.js';
import { ConnectError, MessageRefusedError, NotConnectedError } from '../../connector.js';
import type { Connector, ConnectorEvents, ConnectorFactory, ConnectorOptions, OutboundMessage } from '../../connector.js';
import type { IntegrationSpec } from '../../../domain/integration-spec.js';
import { mqttConfig, openMqttClient, protocolVersionOf, type OpenedClient } from './client-options.js';
import type { AckGate } from './ack-gate.js';
import { endClient } from './end-client.js';
import { brokerDisconnect, CLOSED_BY_BROKER, connackRefusal, describeMqttError, publishRefusal } from './reasons.js';
import type { AttemptContext } from './reasons.js';
import { PendingAttempt } from '../attempt.js';
import { describeUnknownError } from '../socket-reasons.js';
import { subscribe, unsubscribe } from './subscriptions.js';

const LOST_BEFORE_ACK = 'The link was lost before the broker acknowledged the message';

/**
 * Subscriptions are made at QoS 1 (SPEC §6): the broker keeps a message until
 * we acknowledge it, and we acknowledge only once it is retained. With a
 * persistent session (`clean: false`) that survives reconnects too.
 */
const SUBSCRIBE_QOS = 1;

/**
 * One mqtt.js client, i.e. one connect() attempt and, if it succeeds, the
 * life of that connection. Kept small on purpose: 10,000 of them must fit.
 */
interface Link {
  readonly client: MqttClient;
  /** Where this connection's PUBACKs wait for their messages to be retained. */
  readonly gate: AckGate;
  /** Set once CONNACK accepted and every initial subscription was answered. */
  up: boolean;
  /** The first explanation seen on this link; what down() or the rejection says. */
  reason: string | undefined;
  /** The topics subscribed on this connection, compared by identity with the wanted set. */
  subscribed: readonly string[];
  /** Subscription changes, one after the other, so SUBSCRIBE/UNSUBSCRIBE keep their order. */
  changes: Promise<unknown>;
  /** Rejecters of publishes awaiting their acknowledgement; created on the first publish. */
  publishes: Set<(error: Error) => void> | undefined;
  /** Rejects the pending connect(); undefined once it settled. */
  /** The connect() still pending; undefined once it has settled or ended. */
  attempt: PendingAttempt | undefined;
}

/**
 * The MQTT connector (mqtt/mqtts/ws/wss, MQTT 3.1.1 and 5) on mqtt.js. mqtt.js
 * events map onto the contract like this:
 * - `connect` (CONNACK accepted) → subscribe to every topic, then connect() resolves;
 * - `error` → remembered as the reason (the first one wins: a keepalive
 *   timeout or a CONNACK refusal is followed by the socket closing);
 * - `close` → connect() rejects, or, once up, events.down(reason), once;
 * - `packetreceive` → events.alive(); `message` → events.message().
 */
export class MqttConnector implements Connector {
  readonly #spec: IntegrationSpec;
  readonly #events: ConnectorEvents;
  readonly #options: ConnectorOptions;
  readonly #protocolVersion: 4 | 5;
  #topics: readonly string[];
  #link: Link | undefined;
  #closed = false;

  constructor(spec: IntegrationSpec, events: ConnectorEvents, options: ConnectorOptions) {
    const config = mqttConfig(spec);
    this.#spec = spec;
    this.#events = events;
    this.#options = options;
    this.#protocolVersion = protocolVersionOf(config);
    this.#topics = unique(spec.topics);
  }

  connect(): Promise<void> {
    if (this.#closed) return Promise.reject(new ConnectError('The connector is closed'));
    void this.#discard('Superseded by a new connection attempt');
    return new Promise((resolve, reject) => this.#attempt(resolve, reject));
  }

  async setTopics(topics: readonly string[]): Promise<void> {
    this.#topics = unique(topics);
    const link = this.#link;
    // A link still connecting picks the new set up when it subscribes.
    if (link?.up) await this.#sync(link);
  }

  publish(message: OutboundMessage): Promise<void> {
    // A wildcard or empty topic makes the broker drop the whole connection.
    if (message.topic === '') return Promise.reject(new MessageRefusedError('topic is required to publish through an MQTT integration'));
    const problem = validateTopicName(message.topic);
    if (problem !== undefined) return Promise.reject(new MessageRefusedError(`topic is not a valid MQTT topic: ${problem}`));
    const link = this.#link;
    if (!link?.up) return Promise.reject(new NotConnectedError());
    const publishes = (link.publishes ??= new Set());
    return new Promise((resolve, reject) => {
      const fail = (error: Error): void => {
        publishes.delete(fail);
        reject(error);
      };
      publishes.add(fail);
      link.client.publish(message.topic, message.payload, { qos: message.qos, retain: message.retain }, (error) => {
        if (!publishes.delete(fail)) return;
        if (error === undefined || error === null) resolve();
        else reject(publishFailure(error));
      });
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#discard('The connector was closed');
  }

  pause(): void {
    this.#link?.gate.pauseReading();
  }

  resume(): void {
    this.#link?.gate.resumeReading();
  }

  #attempt(resolve: () => void, reject: (error: Error) => void): void {
    let opened: OpenedClient;
    try {
      opened = openMqttClient(this.#spec, this.#options);
    } catch (error) {
      reject(new ConnectError(describeUnknownError(error)));
      return;
    }
    const { client, gate } = opened;
    const link: Link = { client, gate, up: false, reason: undefined, subscribed: [], changes: Promise.resolve(), publishes: undefined, attempt: undefined };
    this.#link = link;
    this.#watch(link);
    link.attempt = new PendingAttempt(this.#options.connectTimeoutMs, (reason) => this.#fail(link, reason), reject);
    client.once('connect', () => {
      if (this.#link !== link) return;
      this.#sync(link).then(
        (settled) => {
          if (!settled || this.#link !== link || !link.attempt?.settle()) return;
          link.attempt = undefined;
          link.up = true;
          resolve();
        },
        (error: unknown) => this.#fail(link, describeUnknownError(error)),
      );
    });
  }

  /**
   * The listeners that live as long as the connection. Kept apart from
   * #attempt so their closures hold only the link, not the attempt's promise
   * callbacks and timer (a few hundred bytes, times 10,000).
   */
  #watch(link: Link): void {
    const client = link.client;
    client.on('packetreceive', (packet: Packet) => {
      if (this.#link !== link) return;
      if (link.up) this.#events.alive();
      else if (packet.cmd === 'connack') link.reason ??= refusalOf(packet);
    });
    // mqtt.js writes a message's PUBACK once handleMessage calls back and reads on; the gate
    // holds that PUBACK until the supervisor has the message retained (see ack-gate.ts).
    // Subscriptions are QoS 1, so the broker never sends QoS 2 (whose PUBREC would come first).
    client.handleMessage = (packet, done) => {
      const { topic, payload } = packet;
      // A replaced link's messages go nowhere: never acknowledge them (the broker delivers them again).
      if (this.#link !== link) {
        if (packet.qos === 0) done();
        return;
      }
      if (packet.qos === 0 || packet.messageId === undefined) {
        this.#events.message({ topic, payload, binary: false });
        return done();
      }
      const id = packet.messageId;
      link.gate.hold(id);
      let acked = false;
      const ack = (): void => {
        if (acked) return;
        acked = true;
        link.gate.release(id);
      };
      this.#events.message({ topic, payload, binary: false, ack });
      done();
    };
    // The socket's own failure (refused, reset, a TLS certificate), which mqtt.js may not pass on.
    link.gate.on('error', (error) => {
      if (this.#link === link) link.reason ??= describeMqttError(error, this.#context());
    });
    client.on('disconnect', (packet: IDisconnectPacket) => {
      if (this.#link !== link) return;
      link.reason ??= brokerDisconnect(packet.reasonCode ?? 0, packet.properties?.reasonString);
      // The broker is done with us; do not wait for it to also close the socket.
      client.stream.destroy();
    });
    client.on('error', (error) => {
      if (this.#link !== link) return;
      link.reason ??= describeMqttError(error, this.#context());
      // Before the link is up any error ends the attempt; once up, only the close that follows does.
      if (!link.up) this.#fail(link, link.reason);
    });
    client.on('close', () => {
      if (this.#link !== link) return;
      if (link.up) this.#lost(link);
      else this.#fail(link, link.reason ?? CLOSED_BY_BROKER);
    });
  }

  /** A failed attempt: reject connect() and end the client. */
  #fail(link: Link, reason: string): void {
    if (this.#link === link) this.#link = undefined;
    link.attempt?.abort(reason);
    void endClient(link.client, false);
  }

  /** An established link went down: report it, once. */
  #lost(link: Link): void {
    this.#link = undefined;
    link.up = false;
    failPublishes(link);
    void endClient(link.client, false);
    this.#events.down(link.reason ?? CLOSED_BY_BROKER);
  }

  /** Drops the current link, if any, without reporting it. */
  async #discard(reason: string): Promise<void> {
    const link = this.#link;
    if (link === undefined) return;
    this.#link = undefined;
    link.attempt?.abort(reason);
    // mqtt.js holds a polite DISCONNECT back until in-flight publishes are acknowledged; those are being abandoned.
    const graceful = link.up && (link.publishes?.size ?? 0) === 0;
    failPublishes(link);
    await endClient(link.client, graceful);
  }

  /** Queues bringing the link's subscriptions in line with the wanted topics. */
  #sync(link: Link): Promise<boolean> {
    const run = link.changes.then(() => this.#reconcile(link));
    link.changes = run.catch(() => {});
    return run;
  }

  /**
   * Subscribes the added topics, then unsubscribes the removed ones, until the
   * link carries the wanted set (which may change while we wait for the
   * broker). False when the link went away before that.
   */
  async #reconcile(link: Link): Promise<boolean> {
    while (this.#link === link) {
      const wanted = this.#topics;
      if (wanted === link.subscribed) return true;
      const current = new Set(link.subscribed);
      const next = new Set(wanted);
      const added = wanted.filter((topic) => !current.has(topic));
      const removed = link.subscribed.filter((topic) => !next.has(topic));
      if (added.length > 0) {
        const refused = await subscribe(link.client, added, SUBSCRIBE_QOS, this.#protocolVersion);
        if (refused === null) return false;
        if (refused.length > 0 && this.#link === link) this.#events.subscriptionsRefused(refused);
      }
      if (removed.length > 0) await unsubscribe(link.client, removed);
      link.subscribed = wanted;
    }
    return false;
  }

  /** Built on demand: only failures need it, and 10,000 idle connectors should not each carry one. */
  #context(): AttemptContext {
    const config = mqttConfig(this.#spec);
    return { host: config.host, port: config.port, connectTimeoutMs: this.#options.connectTimeoutMs };
  }
}

export const createMqttConnector: ConnectorFactory = (spec, events, options) => new MqttConnector(spec, events, options);

function unique(topics: readonly string[]): readonly string[] {
  return [...new Set(topics)];
}

/** A CONNACK's refusal, with the broker's MQTT 5 reason string when it sent one; undefined when accepted. */
function refusalOf(packet: IConnackPacket): string | undefined {
  const code = packet.reasonCode ?? packet.returnCode ?? 0;
  return code === 0 ? undefined : connackRefusal(code, packet.properties?.reasonString);
}

function failPublishes(link: Link): void {
  if (link.publishes === undefined) return;
  for (const fail of link.publishes) fail(new NotConnectedError(LOST_BEFORE_ACK));
}

/** Why mqtt.js failed a publish: a broker's MQTT 5 refusal, or the link going away. */
function publishFailure(error: Error): Error {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'number' ? new Error(publishRefusal(code)) : new NotConnectedError(LOST_BEFORE_ACK);
}
