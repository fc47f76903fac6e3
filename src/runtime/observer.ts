import type { IntegrationSpec } from '../domain/integration-spec.js';
import type { LinkReporter } from './link.js';
import type { ConnectionEvent } from './status-writer.js';

/**
 * What the runtime tells an onlooker (the metrics) about one integration's
 * link. Called on the message path: implementations do arithmetic on plain
 * numbers and nothing else (no allocation, no I/O, no labels).
 */
export interface LinkObserver {
  /** A connection event of the link (connected, disconnected, …). */
  event(type: ConnectionEvent['type']): void;
  /** A message of `bytes` bytes arrived. */
  received(bytes: number): void;
  /** A message went out through the link (acknowledged as the connector defines it). */
  published(): void;
}

/** The onlooker itself: one LinkObserver per integration, the same one each time the integration is linked again. */
export interface RuntimeObserver {
  link(spec: Pick<IntegrationSpec, 'id' | 'applicationId' | 'integrationType'>): LinkObserver;
  /** The observer of a linked integration, if any (publish looks it up by id). */
  find(integrationId: string): LinkObserver | undefined;
  /** The integration is gone from this node (deleted, or handed over to another node of a cluster): its series go. */
  forget?(integrationId: string): void;
}

const IGNORED: LinkObserver = { event: () => {}, received: () => {}, published: () => {} };

/** No onlooker (tests, tools): every call costs a no-op. */
export const NO_OBSERVER: RuntimeObserver = { link: () => IGNORED, find: () => undefined };

function sizeOf(payload: Buffer | string): number {
  return typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
}

/**
 * The link's reporter, with the observer told first. Wrapping keeps the
 * supervisor's own reporter untouched: whatever it does with statuses,
 * events and messages, the onlooker sees the same calls.
 */
export function observed(observer: LinkObserver, reporter: LinkReporter): LinkReporter {
  if (observer === IGNORED) return reporter;
  return {
    ...reporter,
    event: (event) => {
      observer.event(event.type);
      reporter.event(event);
    },
    message: (message) => {
      observer.received(sizeOf(message.payload));
      reporter.message(message);
    },
  };
}
