import WebSocket from 'ws';
import type { RawData } from 'ws';
import { ConnectError, NotConnectedError } from '../../connector.js';
import type { Connector, ConnectorEvents, ConnectorFactory, ConnectorOptions, OutboundMessage } from '../../connector.js';
import type { IntegrationSpec, WebsocketConfig } from '../../../domain/integration-spec.js';
import { PendingAttempt } from '../attempt.js';
import { describeUnknownError } from '../socket-reasons.js';
import { describeClose, describeWebsocketError, KEEPALIVE_TIMEOUT, targetOf } from './reasons.js';
import { messagePath, websocketConfig, websocketRequestOptions } from './request-options.js';

/** How long a polite close handshake may take before the socket is simply destroyed. */
const GRACE_MS = 1000;

/** One `ws` socket: one connect() attempt and, if it opens, the life of that connection. */
interface Link {
  readonly socket: WebSocket;
  up: boolean;
  /** The first explanation seen on this link; what down() or the rejection says. */
  reason: string | undefined;
  /** Whether a pong (or the open) came since the last ping. */
  answered: boolean;
  pinger: NodeJS.Timeout | undefined;
  /** Rejects the pending connect(); undefined once it settled. */
  /** The connect() still pending; undefined once it has settled or ended. */
  attempt: PendingAttempt | undefined;
}

/**
 * The WebSocket connector on `ws`. `open` resolves connect(); `error` is
 * remembered as the reason and `close` decides (reject before open, one
 * events.down after). Liveness is ours: a ping every keepaliveSeconds, and a
 * ping still unanswered when the next is due ends the link.
 */
export class WebsocketConnector implements Connector {
  readonly #config: WebsocketConfig;
  readonly #events: ConnectorEvents;
  readonly #options: ConnectorOptions;
  /** The `topic` of every message: the URL's path. */
  readonly #path: string;
  /** Remembered only: topics mean nothing to a WebSocket, but the contract keeps them. */
  #topics: readonly string[];
  #link: Link | undefined;
  #closed = false;

  constructor(spec: IntegrationSpec, events: ConnectorEvents, options: ConnectorOptions) {
    this.#config = websocketConfig(spec);
    this.#events = events;
    this.#options = options;
    this.#path = messagePath(this.#config.url);
    this.#topics = spec.topics;
  }

  get topics(): readonly string[] {
    return this.#topics;
  }

  connect(): Promise<void> {
    if (this.#closed) return Promise.reject(new ConnectError('The connector is closed'));
    void this.#discard('Superseded by a new connection attempt');
    return new Promise((resolve, reject) => this.#attempt(resolve, reject));
  }

  async setTopics(topics: readonly string[]): Promise<void> {
    this.#topics = topics;
  }

  publish(message: OutboundMessage): Promise<void> {
    const link = this.#link;
    if (!link?.up || link.socket.readyState !== WebSocket.OPEN) return Promise.reject(new NotConnectedError());
    return new Promise((resolve, reject) => {
      link.socket.send(message.payload, { binary: typeof message.payload !== 'string' }, (error) => {
        if (error) reject(new NotConnectedError(`The frame could not be sent: ${error.message}`));
        else resolve();
      });
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#discard('The connector was closed');
  }

  #attempt(resolve: () => void, reject: (error: Error) => void): void {
    let url: URL;
    let socket: WebSocket;
    try {
      url = new URL(this.#config.url);
      socket = new WebSocket(url, websocketRequestOptions(this.#config, url, this.#options.outbound));
    } catch (error) {
      reject(new ConnectError(describeUnknownError(error)));
      return;
    }
    const link: Link = { socket, up: false, reason: undefined, answered: true, pinger: undefined, attempt: undefined };
    this.#link = link;
    link.attempt = new PendingAttempt(this.#options.connectTimeoutMs, (reason) => this.#fail(link, reason), reject);

    socket.once('open', () => {
      if (this.#link !== link || !link.attempt?.settle()) return;
      link.attempt = undefined;
      link.up = true;
      this.#startKeepalive(link);
      resolve();
    });
    this.#watch(link, url);
  }

  /** The listeners that live as long as the socket; apart from #attempt so they do not hold its promise. */
  #watch(link: Link, url: URL): void {
    const socket = link.socket;
    socket.on('message', (data, isBinary) => {
      if (this.#link !== link) return;
      this.#events.alive();
      if (isBinary) this.#events.message({ topic: this.#path, payload: toBuffer(data), binary: true });
      else this.#events.message({ topic: this.#path, payload: toBuffer(data).toString('utf8'), binary: false });
    });
    socket.on('pong', () => {
      if (this.#link !== link) return;
      link.answered = true;
      this.#events.alive();
    });
    socket.on('error', (error) => {
      if (this.#link !== link) return;
      link.reason ??= describeWebsocketError(error, targetOf(url));
      if (!link.up) this.#fail(link, link.reason);
    });
    socket.on('close', (code, reason) => {
      if (this.#link !== link) return;
      const why = link.reason ?? describeClose(code, reason.toString('utf8'));
      if (link.up) this.#lost(link, why);
      else this.#fail(link, why);
    });
  }

  #startKeepalive(link: Link): void {
    link.pinger = setInterval(() => this.#ping(link), this.#options.keepaliveSeconds * 1000);
  }

  /** Runs every keepaliveSeconds: the previous ping must have been answered by now. */
  #ping(link: Link): void {
    if (!link.answered) {
      link.reason ??= KEEPALIVE_TIMEOUT;
      // terminate() rather than close(): a peer that stopped answering pings will not answer a close frame either.
      link.socket.terminate();
      return;
    }
    link.answered = false;
    link.socket.ping();
  }

  #fail(link: Link, reason: string): void {
    if (this.#link === link) this.#link = undefined;
    link.attempt?.abort(reason);
    link.socket.terminate();
  }

  #lost(link: Link, reason: string): void {
    this.#link = undefined;
    link.up = false;
    clearInterval(link.pinger);
    this.#events.down(reason);
  }

  /** Drops the current link, if any, without reporting it; a live one gets a close handshake. */
  async #discard(reason: string): Promise<void> {
    const link = this.#link;
    if (link === undefined) return;
    this.#link = undefined;
    clearInterval(link.pinger);
    link.attempt?.abort(reason);
    await closeSocket(link.socket);
  }
}

export const createWebsocketConnector: ConnectorFactory = (spec, events, options) => new WebsocketConnector(spec, events, options);

/** `ws` hands Buffers with the default binaryType; the other RawData shapes are for other settings. */
function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  return Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
}

function closeSocket(socket: WebSocket): Promise<void> {
  if (socket.readyState === WebSocket.CLOSED) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => socket.terminate(), GRACE_MS);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
    if (socket.readyState === WebSocket.OPEN) socket.close(1000);
    else socket.terminate();
  });
}
