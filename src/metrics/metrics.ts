import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Counts, IntegrationCounters, IntegrationCounts } from './integration-counters.js';
import type { SseMetrics } from './sse-metrics.js';

export interface MetricsOptions {
  /** METRICS_PER_INTEGRATION: one series per integration, or totals per integration type. */
  readonly perIntegration: boolean;
}

type CountName = keyof Counts;

const COUNTERS: readonly { name: string; help: string; count: CountName }[] = [
  { name: 'tributary_integration_messages_received_total', help: 'Messages received through the integration', count: 'messagesReceived' },
  { name: 'tributary_integration_messages_published_total', help: 'Messages published through the integration (acknowledged)', count: 'messagesPublished' },
  { name: 'tributary_integration_bytes_received_total', help: 'Payload bytes received through the integration', count: 'bytesReceived' },
  { name: 'tributary_integration_connects_total', help: 'Connections established', count: 'connects' },
  { name: 'tributary_integration_disconnects_total', help: 'Established connections that ended (lost, disabled, replaced, stopped)', count: 'disconnects' },
];

const PER_INTEGRATION_LABELS = ['application_id', 'integration_id', 'type'] as const;
const PER_TYPE_LABELS = ['type'] as const;

const labelsOf = (c: IntegrationCounts) => ({ application_id: c.applicationId, integration_id: c.integrationId, type: c.type });

/**
 * The Prometheus registry of one app (never prom-client's global one, so a
 * test can build several apps). Nothing here runs per message or per status
 * change: the runtime and the streams add to plain numbers, and every series
 * is filled from them when /metrics is scraped (prom-client `collect`).
 */
export class Metrics {
  readonly registry = new Registry();
  private readonly requestDuration: Histogram<'route' | 'method' | 'status_code'>;
  /** The histogram's child per label set, so a request costs one map lookup, not a label validation and hash. */
  private readonly durationByLabels = new Map<string, { observe(seconds: number): void }>();

  constructor(integrations: IntegrationCounters, sse: SseMetrics, options: MetricsOptions) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });

    if (options.perIntegration) {
      new Gauge({
        name: 'tributary_integration_up',
        help: '1 while the integration is connected, else 0',
        labelNames: PER_INTEGRATION_LABELS,
        registers,
        collect() {
          this.reset();
          for (const c of integrations.all()) this.set(labelsOf(c), c.up);
        },
      });
      for (const { name, help, count } of COUNTERS) {
        new Counter({
          name,
          help,
          labelNames: PER_INTEGRATION_LABELS,
          registers,
          collect() {
            this.reset();
            for (const c of integrations.all()) this.inc(labelsOf(c), c[count]);
          },
        });
      }
    } else {
      new Gauge({
        name: 'tributary_integration_up',
        help: 'How many integrations of the type are connected',
        labelNames: PER_TYPE_LABELS,
        registers,
        collect() {
          this.reset();
          for (const [type, total] of integrations.byType()) this.set({ type }, total.up);
        },
      });
      for (const { name, help, count } of COUNTERS) {
        new Counter({
          name,
          help: `${help}, all integrations of the type`,
          labelNames: PER_TYPE_LABELS,
          registers,
          collect() {
            this.reset();
            for (const [type, total] of integrations.byType()) this.inc({ type }, total[count]);
          },
        });
      }
    }

    new Gauge({
      name: 'tributary_sse_clients',
      help: 'Open Server-Sent-Events streams',
      registers,
      collect() {
        this.set(sse.clients);
      },
    });
    new Counter({
      name: 'tributary_sse_dropped_events_total',
      help: 'Events dropped for stream clients too slow to take them',
      registers,
      collect() {
        this.reset();
        this.inc(sse.dropped);
      },
    });
    this.requestDuration = new Histogram({
      name: 'tributary_http_request_duration_seconds',
      help: 'HTTP requests by route pattern, method and status code (streams excluded)',
      labelNames: ['route', 'method', 'status_code'],
      registers,
    });
  }

  /** One answered request; `route` is the route's pattern (`/applications/:applicationId`), never the URL. */
  observeRequest(route: string, method: string, statusCode: number, seconds: number): void {
    const key = `${method} ${statusCode} ${route}`;
    let child = this.durationByLabels.get(key);
    if (!child) this.durationByLabels.set(key, (child = this.requestDuration.labels({ route, method, status_code: statusCode })));
    child.observe(seconds);
  }
}
