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
  subscribe(scope: MessageScope, subscriber: MessageSubscriber): () => void;
  cursor(scope: MessageScope, pos: number): Promise<CursorInfo>;
  /** Retained messages after `pos`, oldest first, with the newest pruned position read together (see MessageRepository.page). */
  page(scope: MessageScope, pos: number, limit: number): Promise<{ rows: MessageRow[]; prunedThrough: number }>;
  /** The integration's retained messages as a collection (empty when retention is off). */
  list(applicationId: string, integrationId: string, query: MessageQuery): Promise<Page<MessageRow>>;
  /** Sends through the integration's connection; rejects with NotConnectedError when it is not up. */
  publish(integrationId: string, message: OutboundMessage): Promise<void>;
}
