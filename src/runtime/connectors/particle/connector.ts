import { ConnectError, NotConnectedError } from '../../connector.js';
import type { Connector, ConnectorEvents, ConnectorFactory, ConnectorOptions, OutboundMessage } from '../../connector.js';
import type { IntegrationSpec } from '../../../domain/integration-spec.js';
import { DEFAULT_PARTICLE_API_URL, particleConfig, publishUrl, streamUrl } from './config.js';
import type { ParticleConfig } from './config.js';
import { parseEvent } from './event.js';
import { openEventStream, type Reach, postForm } from './stream.js';
import type { EventStream } from './stream.js';
import { EventFilter, streamPrefix } from './topics.js';

/**
 * The Particle connector: Particle's event stream read as plain SSE over
 * node:http(s) (particle-api-js is not used: it hides the HTTP status and
 * error body we report, and its stream reconnects by itself). One stream
 * carries every topic: it asks Particle for the prefix all topics share and
 * filters the rest here. Particle does not acknowledge, so messages have no ack.
 */
export class ParticleConnector implements Connector {
  readonly #config: ParticleConfig;
  readonly #events: ConnectorEvents;
  readonly #options: ConnectorOptions;
  readonly #apiUrl: string;
  #topics: readonly string[];
  #filter: EventFilter;
  /** The live stream, or the one connect() is opening. */
  #stream: EventStream | undefined;
  /** The name prefix #stream asked Particle for. */
  #prefix = '';
  #up = false;
  #closed = false;

  constructor(spec: IntegrationSpec, events: ConnectorEvents, options: ConnectorOptions) {
    this.#config = particleConfig(spec);
    this.#events = events;
    this.#options = options;
    this.#apiUrl = options.particleApiUrl ?? DEFAULT_PARTICLE_API_URL;
    this.#topics = spec.topics;
    this.#filter = new EventFilter(spec.topics);
  }

  get topics(): readonly string[] {
    return this.#topics;
  }

  async connect(): Promise<void> {
    if (this.#closed) throw new ConnectError('The connector is closed');
    this.#drop();
    const prefix = streamPrefix(this.#topics);
    let stream: EventStream;
    try {
      stream = this.#open(prefix);
    } catch (error) {
      throw new ConnectError(error instanceof Error ? error.message : String(error));
    }
    this.#stream = stream;
    try {
      await stream.opened;
    } catch (error) {
      if (this.#stream === stream) this.#stream = undefined;
      throw error;
    }
    if (this.#stream !== stream) throw new ConnectError('The connection attempt was abandoned');
    this.#prefix = prefix;
    this.#up = true;
  }

  /**
   * New topics the current stream already carries only change the filter.
   * Otherwise a stream for the new prefix opens first and replaces the old one
   * once Particle accepted it; if it is refused, the old stream stays and the
   * topics it cannot carry are reported refused.
   */
  async setTopics(topics: readonly string[]): Promise<void> {
    this.#topics = topics;
    const prefix = streamPrefix(topics);
    const current = this.#stream;
    if (!this.#up || current === undefined || prefix.startsWith(this.#prefix)) {
      this.#filter = new EventFilter(topics);
      return;
    }
    const next = this.#open(prefix);
    try {
      await next.opened;
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      this.#filter = new EventFilter(topics);
      this.#events.subscriptionsRefused(topics.filter((topic) => !topic.startsWith(this.#prefix)).map((topic) => ({ topic, reason })));
      return;
    }
    if (this.#stream !== current || !this.#up) {
      next.close();
      return;
    }
    this.#stream = next;
    this.#prefix = prefix;
    this.#filter = new EventFilter(topics);
    current.close();
  }

  async publish(message: OutboundMessage): Promise<void> {
    if (!this.#up) throw new NotConnectedError();
    const form = { name: message.topic, data: message.payload.toString() };
    await postForm(publishUrl(this.#apiUrl, this.#config), this.#config.accessToken, form, this.#options.connectTimeoutMs, this.#reach());
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#drop();
  }

  #open(prefix: string): EventStream {
    const url = streamUrl(this.#apiUrl, this.#config, prefix);
    const timeouts = { connectMs: this.#options.connectTimeoutMs, idleMs: 2 * this.#options.keepaliveSeconds * 1000 };
    const stream: EventStream = openEventStream(url, this.#config.accessToken, timeouts, {
      event: (name, data) => {
        if (this.#stream === stream && this.#filter.matches(name)) this.#deliver(name, data);
      },
      alive: () => {
        if (this.#stream === stream) this.#events.alive();
      },
      ended: (reason) => {
        if (this.#stream !== stream || !this.#up) return;
        this.#drop();
        this.#events.down(reason);
      },
    }, this.#reach());
    return stream;
  }

  /** Particle's API host, whatever it resolves to, is checked against OUTBOUND_DENY / OUTBOUND_ALLOW. */
  #reach(): Reach {
    return this.#options.outbound ? { lookup: this.#options.outbound.lookup } : {};
  }

  #deliver(name: string, data: string): void {
    const { payload, attributes } = parseEvent(data);
    this.#events.message({ topic: name, payload, binary: false, attributes });
  }

  #drop(): void {
    this.#up = false;
    const stream = this.#stream;
    this.#stream = undefined;
    stream?.close();
  }
}

export const createParticleConnector: ConnectorFactory = (spec, events, options) => new ParticleConnector(spec, events, options);
