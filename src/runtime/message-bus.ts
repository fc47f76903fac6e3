import type { MessageRow } from '../store/store.js';
import { messageData } from './messages.js';

/** Someone reading messages: an SSE stream, in practice. */
export interface MessageSubscriber {
  /** A message with its position; `data` is its serialized event payload (see messageData). Must not throw or block. */
  deliver(pos: number, data: string): void;
  /** The source is gone (integration or application deleted, server stopping). */
  end(reason: string): void;
  /** Messages after the last one delivered may have been skipped (pruned before they could be read): catch up from the log. */
  resync?(): void;
}

/**
 * In-process fan-out from the message log to the streams, keyed by
 * integration and by application. A message is serialized at most once per
 * audience, and not at all when nobody listens.
 */
export class MessageBus {
  private readonly byIntegration = new Map<string, Set<MessageSubscriber>>();
  private readonly byApplication = new Map<string, Set<MessageSubscriber>>();
  private readonly applicationOf = new Map<string, string>();

  subscribeIntegration(integrationId: string, applicationId: string, subscriber: MessageSubscriber): () => void {
    this.applicationOf.set(integrationId, applicationId);
    return this.add(this.byIntegration, integrationId, subscriber);
  }

  subscribeApplication(applicationId: string, subscriber: MessageSubscriber): () => void {
    return this.add(this.byApplication, applicationId, subscriber);
  }

  /** Whether anyone here reads the application: its whole stream, or one of its integrations'. */
  hasApplication(applicationId: string): boolean {
    if (this.byApplication.has(applicationId)) return true;
    for (const owner of this.applicationOf.values()) if (owner === applicationId) return true;
    return false;
  }

  hasIntegration(integrationId: string): boolean {
    return this.byIntegration.has(integrationId);
  }

  publish(message: MessageRow): void {
    const direct = this.byIntegration.get(message.integrationId);
    if (direct) {
      const data = messageData(message, false);
      for (const subscriber of direct) subscriber.deliver(message.pos, data);
    }
    const wide = this.byApplication.get(message.applicationId);
    if (wide) {
      const data = messageData(message, true);
      for (const subscriber of wide) subscriber.deliver(message.pos, data);
    }
  }

  /** Every reader of the application catches up from the log (see MessageSubscriber.resync). */
  resyncApplication(applicationId: string): void {
    for (const subscriber of this.byApplication.get(applicationId) ?? []) subscriber.resync?.();
    for (const [integrationId, owner] of this.applicationOf) {
      if (owner !== applicationId) continue;
      for (const subscriber of this.byIntegration.get(integrationId) ?? []) subscriber.resync?.();
    }
  }

  closeIntegration(integrationId: string, reason: string): void {
    this.end(this.byIntegration, integrationId, reason);
  }

  closeApplication(applicationId: string, reason: string): void {
    this.end(this.byApplication, applicationId, reason);
    for (const [integrationId, owner] of this.applicationOf) {
      if (owner === applicationId) this.end(this.byIntegration, integrationId, reason);
    }
  }

  closeAll(reason: string): void {
    for (const id of [...this.byIntegration.keys()]) this.end(this.byIntegration, id, reason);
    for (const id of [...this.byApplication.keys()]) this.end(this.byApplication, id, reason);
  }

  private add(index: Map<string, Set<MessageSubscriber>>, key: string, subscriber: MessageSubscriber): () => void {
    let set = index.get(key);
    if (!set) index.set(key, (set = new Set()));
    set.add(subscriber);
    return () => {
      const current = index.get(key);
      if (!current) return;
      current.delete(subscriber);
      if (current.size === 0) {
        index.delete(key);
        if (index === this.byIntegration) this.applicationOf.delete(key);
      }
    };
  }

  private end(index: Map<string, Set<MessageSubscriber>>, key: string, reason: string): void {
    const set = index.get(key);
    if (!set) return;
    index.delete(key);
    if (index === this.byIntegration) this.applicationOf.delete(key);
    for (const subscriber of set) subscriber.end(reason);
  }
}
