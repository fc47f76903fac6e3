import type { DomainEvents } from '../events.js';
import { IntegrationCounters } from './integration-counters.js';
import { Metrics, type MetricsOptions } from './metrics.js';
import { SseMetrics } from './sse-metrics.js';

/** The metrics of one app: the plain counters the runtime and the streams add to, and the registry that reads them. */
export interface AppMetrics {
  /** The runtime's observer (RuntimeObserver). */
  readonly integrations: IntegrationCounters;
  /** What SSE streams report to (SseOptions.metrics). */
  readonly sse: SseMetrics;
  readonly prometheus: Metrics;
}

export function createMetrics(events: DomainEvents, options: MetricsOptions): AppMetrics {
  const integrations = new IntegrationCounters();
  const sse = new SseMetrics();
  // A deleted integration's series go with it.
  events.on('integrationDeleted', ({ id }) => integrations.forget(id));
  events.on('applicationDeleted', ({ integrationIds }) => {
    for (const id of integrationIds) integrations.forget(id);
  });
  return { integrations, sse, prometheus: new Metrics(integrations, sse, options) };
}
