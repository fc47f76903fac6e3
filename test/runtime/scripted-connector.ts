import type { Connector, ConnectorEvents, ConnectorFactory, OutboundMessage } from '../../src/runtime/connector.js';
import { ConnectError } from '../../src/runtime/connector.js';
import type { IntegrationSpec } from '../../src/domain/integration-spec.js';

/**
 * A connector whose every move the test decides: connect() waits until the
 * test resolves or fails it. It stands in for the network so the supervisor's
 * own logic (backoff, convergence, status) can be tested on a manual clock.
 */
export class ScriptedConnector implements Connector {
  topics: readonly string[];
  closed = false;
  published: OutboundMessage[] = [];
  topicChanges: (readonly string[])[] = [];
  private pending: { resolve: () => void; reject: (e: Error) => void } | undefined;

  constructor(
    readonly spec: IntegrationSpec,
    readonly events: ConnectorEvents,
  ) {
    this.topics = spec.topics;
  }

  connect(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
    });
  }

  succeed(): void {
    this.pending?.resolve();
    this.pending = undefined;
  }

  fail(reason: string): void {
    this.pending?.reject(new ConnectError(reason));
    this.pending = undefined;
  }

  async setTopics(topics: readonly string[]): Promise<void> {
    this.topics = topics;
    this.topicChanges.push(topics);
  }

  async publish(message: OutboundMessage): Promise<void> {
    this.published.push(message);
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

export class ScriptedNetwork {
  readonly connectors: ScriptedConnector[] = [];

  readonly factory: ConnectorFactory = (spec, events) => {
    const connector = new ScriptedConnector(spec, events);
    this.connectors.push(connector);
    return connector;
  };

  /** The connectors of one integration, oldest first. */
  of(integrationId: string): ScriptedConnector[] {
    return this.connectors.filter((c) => c.spec.id === integrationId);
  }

  latest(integrationId: string): ScriptedConnector {
    const all = this.of(integrationId);
    const last = all[all.length - 1];
    if (!last) throw new Error(`no connector for ${integrationId}`);
    return last;
  }
}

/** Lets promise callbacks (connect().then…) run. */
export const settle = () => new Promise<void>((resolve) => setImmediate(resolve));
