import type { IntegrationSpec } from '../domain/integration-spec.js';
import type { OutboundPolicy } from './connectors/outbound.js';

/**
 * The one interface every connector (mqtt, websocket, …) implements. A
 * connector owns one link to one external service for one integration. It
 * knows nothing of HTTP, the store or reconnect policy: the supervisor decides
 * when to call connect() again, with backoff.
 *
 * Lifecycle: connect() makes exactly one attempt. It resolves once the link is
 * up and every topic's subscription is confirmed or refused; it rejects with a
 * ConnectError (message = the reason, in the peer's own words where it gives
 * them) when the attempt fails. After it resolved, losing the link is reported
 * once through events.down(reason); the connector is then idle until
 * connect() is called again. close() ends everything and is never followed by
 * events.
 */
export interface Connector {
  connect(): Promise<void>;
  /**
   * Replaces the subscribed topics on the live link without reconnecting:
   * subscribes the added ones first, then unsubscribes the removed ones, so
   * messages of unchanged topics keep flowing. When not connected, only
   * remembers them for the next connect(). Refusals go to events.subscriptionsRefused.
   */
  setTopics(topics: readonly string[]): Promise<void>;
  /**
   * Sends a message. MQTT resolves when the broker acknowledged it at the given
   * QoS (PUBACK for 1, PUBCOMP for 2, written for 0); WebSocket when the frame
   * is written. Rejects with NotConnectedError when the link is not up.
   */
  publish(message: OutboundMessage): Promise<void>;
  close(): Promise<void>;
  /**
   * Stop reading from the source for a while (the store is catching up with
   * a flood) and go on again: what the source sends meanwhile waits there.
   * Optional: sources that pace themselves (queues with acknowledgements) need not.
   */
  pause?(): void;
  resume?(): void;
}

export interface OutboundMessage {
  readonly topic: string;
  /** A string is sent as text (a WebSocket text frame); a Buffer as bytes (a binary frame). */
  readonly payload: string | Buffer;
  readonly qos: 0 | 1 | 2;
  readonly retain: boolean;
  /** Metadata for the types that carry it (SQS message attributes, Pub/Sub attributes, Event Hubs properties). */
  readonly attributes?: Readonly<Record<string, string>>;
}

/**
 * A message a connector received. The acknowledgement path (SPEC §6): a
 * source that waits for one (MQTT QoS 1/2, SQS, Pub/Sub, Event Hubs) gets
 * `ack`, which the supervisor calls once the message is retained (committed to
 * the store), or at once when retention is off. It is never called for a
 * message Tributary could not keep, so the source delivers it again.
 */
export interface ReceivedMessage {
  /** The MQTT topic, the WebSocket URL path, the Particle event name, the queue URL, the Pub/Sub topic, the hub name. */
  readonly topic: string;
  readonly payload: Buffer | string;
  /** Bytes that travel base64 even when they happen to be UTF-8 (a WebSocket binary frame); MQTT payloads are Buffers with binary false. */
  readonly binary: boolean;
  /** The service's own message id (SQS MessageId, Pub/Sub message id, Event Hubs `<partition>:<sequence>`). */
  readonly sourceId?: string;
  /** The service's metadata, as strings. */
  readonly attributes?: Readonly<Record<string, string>>;
  /** Acknowledges the message to the source; called at most once. Absent when the source does not wait for one. */
  readonly ack?: () => void;
}

export interface RefusedSubscription {
  readonly topic: string;
  /** e.g. "Not authorized (reason code 135)" or "Refused by the broker (SUBACK 128)". */
  readonly reason: string;
}

/** What a connector reports. Called synchronously from the connector's own event handlers. */
export interface ConnectorEvents {
  /** An established link was lost (never called for a failed connect(), which rejects instead). */
  down(reason: string): void;
  /** A message arrived (see ReceivedMessage for its acknowledgement). */
  message(message: ReceivedMessage): void;
  /** A sign of life from the peer (PINGRESP, pong, any packet); called often, the supervisor throttles. */
  alive(): void;
  /** Some subscriptions were refused (at connect or setTopics); the link stays up. */
  subscriptionsRefused(refused: readonly RefusedSubscription[]): void;
  /**
   * Part of a link that is up is failing (an Event Hubs partition, say) while
   * the rest works: shown as the status error without the link going down.
   * `null` once it is well again.
   */
  trouble?(reason: string | null): void;
}

export interface ConnectorOptions {
  /** Time allowed for one connect() attempt, including TLS and subscriptions. */
  readonly connectTimeoutMs: number;
  /** MQTT keepalive; WebSocket ping interval. A missed answer ends the link with "Keepalive timeout". */
  readonly keepaliveSeconds: number;
  /** Base URL of the Particle API (PARTICLE_API_URL). */
  readonly particleApiUrl?: string;
  /**
   * A one-off attempt for POST …/integrations/probe: the connector takes over
   * nothing of a live integration (an MQTT client id and its session) and
   * leaves nothing behind at the service (subscriptions, hidden messages).
   */
  readonly probe?: boolean;
  /** Where connections may go (OUTBOUND_DENY, OUTBOUND_ALLOW); socket-based connectors resolve through its `lookup`. */
  readonly outbound?: OutboundPolicy;
}

export type ConnectorFactory = (spec: IntegrationSpec, events: ConnectorEvents, options: ConnectorOptions) => Connector;

/** A connect() attempt failed; the message says why. */
export class ConnectError extends Error {
  override readonly name = 'ConnectError';
}

/** The connector refuses a message before sending it (no topic, a topic the transport forbids): the caller's mistake. */
export class MessageRefusedError extends Error {
  override readonly name = 'MessageRefusedError';
}

export class NotConnectedError extends Error {
  override readonly name = 'NotConnectedError';
  constructor(message = 'The integration is not connected') {
    super(message);
  }
}
