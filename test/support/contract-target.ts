import type { IntegrationSpec } from '../../src/domain/integration-spec.js';
import type { ConnectorFactory } from '../../src/runtime/connector.js';

/**
 * What the connector contract suite (test/runtime/connectors/contract.test.ts)
 * needs of a transport and its peer; every connector's target provides one.
 */
export interface ContractTarget {
  readonly factory: ConnectorFactory;
  /** False where topics mean nothing on the wire (WebSocket). */
  readonly hasTopics: boolean;
  /** Joins the parts of a topic name where `/` is not allowed in one (Pub/Sub); `/` otherwise. */
  readonly separator?: string;
  spec(topics: readonly string[]): IntegrationSpec;
  /** The topic a message sent on `topic` is reported under. */
  reportedTopic(topic: string): string;
  /** The peer sends a text message on `topic` to the connector. */
  send(topic: string, payload: string): Promise<void>;
  /** Starts listening on `topic` at the peer; `next()` is the next payload the peer gets there. */
  listen(topic: string): Promise<{ next(): Promise<string> }>;
  /** The peer side ends the connector's link (the connector did nothing wrong). */
  drop(spec: IntegrationSpec): Promise<void>;
  close(): Promise<void>;
}
