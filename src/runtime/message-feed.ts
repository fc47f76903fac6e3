import type { CursorInfo, MessageQuery, MessageRow, Page } from '../store/store.js';
import type { OutboundMessage } from './connector.js';
import type { MessageSubscriber } from './message-bus.js';

/** One integration's messages, or (integrationId null) every integration's of the application. */
export interface MessageScope {
  readonly applicationId: string;
  readonly integrationId: string | null;
}

/**
 * What the HTTP side may do with messages: read them live and from the
 * retained log, and publish. The narrow port the message routes get instead
 * of the whole runtime.
 */
export interface MessagePort {
  /** False when retention is off: streams are live only. */
  readonly retaining: boolean;
  /** `from`: the position the subscriber has everything up to (it replays from there itself). */
  subscribe(scope: MessageScope, subscriber: MessageSubscriber, from?: number): () => void;
  /**
   * Where a stream with no cursor starts, when live messages come from the
   * log (a cluster): the application's newest position, replayed from like a
   * cursor so nothing committed while the stream opens is missed.
   */
  startOfLive?(scope: MessageScope): Promise<number>;
  /**
   * In a cluster: where the integration's connection is held when not here
   * (a node to carry a publish to), 'nowhere' when no live node holds it, and
   * undefined when it is this node's.
   */
  elsewhere?(integrationId: string): Promise<{ node: string; url: string } | 'nowhere' | undefined>;
  cursor(scope: MessageScope, pos: number): Promise<CursorInfo>;
  /** Retained messages after `pos`, oldest first, with the newest pruned position read together (see MessageRepository.page). */
  page(scope: MessageScope, pos: number, limit: number): Promise<{ rows: MessageRow[]; prunedThrough: number }>;
  /** The integration's retained messages as a collection (empty when retention is off). */
  list(applicationId: string, integrationId: string, query: MessageQuery): Promise<Page<MessageRow>>;
  /** Sends through the integration's connection; rejects with NotConnectedError when it is not up. */
  publish(integrationId: string, message: OutboundMessage): Promise<void>;
}
