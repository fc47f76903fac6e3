import type { IntegrationSpec } from '../domain/integration-spec.js';
import type { LinkObserver, RuntimeObserver } from '../runtime/observer.js';
import type { ConnectionEvent } from '../runtime/status-writer.js';

/** The counts of one integration (or, once retired, of the deleted ones of a type). */
export interface Counts {
  messagesReceived: number;
  messagesPublished: number;
  bytesReceived: number;
  connects: number;
  disconnects: number;
}

/**
 * One integration's counts, as plain numbers the message path adds to;
 * prom-client reads them only when /metrics is scraped.
 */
export class IntegrationCounts implements LinkObserver, Counts {
  up: 0 | 1 = 0;
  messagesReceived = 0;
  messagesPublished = 0;
  bytesReceived = 0;
  connects = 0;
  disconnects = 0;

  constructor(
    readonly integrationId: string,
    readonly applicationId: string,
    readonly type: string,
  ) {}

  event(type: ConnectionEvent['type']): void {
    if (type === 'connected') {
      // Connected again with no loss reported in between: the link was replaced (a config change), so the old one went down.
      if (this.up === 1) this.disconnects += 1;
      this.up = 1;
      this.connects += 1;
    } else if (type !== 'subscribeFailed' && this.up === 1) {
      this.up = 0;
      this.disconnects += 1;
    }
  }

  received(bytes: number): void {
    this.messagesReceived += 1;
    this.bytesReceived += bytes;
  }

  published(): void {
    this.messagesPublished += 1;
  }
}

const zero = (): Counts => ({ messagesReceived: 0, messagesPublished: 0, bytesReceived: 0, connects: 0, disconnects: 0 });

/**
 * The counts of every integration the runtime has linked since start, kept
 * until the integration is deleted. Deleted integrations' counts are added
 * to their type's `retired` totals, so totals by type never go backwards.
 */
export class IntegrationCounters implements RuntimeObserver {
  private readonly counts = new Map<string, IntegrationCounts>();
  private readonly retiredByType = new Map<string, Counts>();

  link(spec: Pick<IntegrationSpec, 'id' | 'applicationId' | 'integrationType'>): IntegrationCounts {
    let counts = this.counts.get(spec.id);
    if (!counts) this.counts.set(spec.id, (counts = new IntegrationCounts(spec.id, spec.applicationId, spec.integrationType)));
    return counts;
  }

  find(integrationId: string): IntegrationCounts | undefined {
    return this.counts.get(integrationId);
  }

  /** The integration was deleted: its series go; its counts stay in its type's totals. */
  forget(integrationId: string): void {
    const counts = this.counts.get(integrationId);
    if (!counts) return;
    this.counts.delete(integrationId);
    let retired = this.retiredByType.get(counts.type);
    if (!retired) this.retiredByType.set(counts.type, (retired = zero()));
    addTo(retired, counts);
  }

  all(): IterableIterator<IntegrationCounts> {
    return this.counts.values();
  }

  /** Per type: the live integrations' counts plus the retired ones, and how many are up. */
  byType(): Map<string, Counts & { up: number }> {
    const totals = new Map<string, Counts & { up: number }>();
    const totalOf = (type: string) => {
      let total = totals.get(type);
      if (!total) totals.set(type, (total = { ...zero(), up: 0 }));
      return total;
    };
    for (const [type, retired] of this.retiredByType) addTo(totalOf(type), retired);
    for (const counts of this.counts.values()) {
      const total = totalOf(counts.type);
      addTo(total, counts);
      total.up += counts.up;
    }
    return totals;
  }
}

function addTo(total: Counts, counts: Counts): void {
  total.messagesReceived += counts.messagesReceived;
  total.messagesPublished += counts.messagesPublished;
  total.bytesReceived += counts.bytesReceived;
  total.connects += counts.connects;
  total.disconnects += counts.disconnects;
}
