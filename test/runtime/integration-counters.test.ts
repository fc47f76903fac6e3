import { describe, expect, it } from 'vitest';
import { IntegrationCounters } from '../../src/metrics/integration-counters.js';
import { observed } from '../../src/runtime/observer.js';
import type { LinkReporter } from '../../src/runtime/link.js';

const spec = { id: 'i1', applicationId: 'a1', integrationType: 'mqtt' as const };

describe('IntegrationCounters', () => {
  it('counts connects and every end of an established link once', () => {
    const counts = new IntegrationCounters().link(spec);
    counts.event('connectFailed');
    expect({ up: counts.up, connects: counts.connects, disconnects: counts.disconnects }).toEqual({ up: 0, connects: 0, disconnects: 0 });
    counts.event('connected');
    counts.event('subscribeFailed');
    expect({ up: counts.up, connects: counts.connects, disconnects: counts.disconnects }).toEqual({ up: 1, connects: 1, disconnects: 0 });
    // A config change replaces the link without a loss being reported.
    counts.event('connected');
    expect({ up: counts.up, connects: counts.connects, disconnects: counts.disconnects }).toEqual({ up: 1, connects: 2, disconnects: 1 });
    counts.event('disconnected');
    counts.event('connectFailed');
    counts.event('stopped');
    expect({ up: counts.up, connects: counts.connects, disconnects: counts.disconnects }).toEqual({ up: 0, connects: 2, disconnects: 2 });
  });

  it('keeps one record per integration across links, and folds a deleted one into its type', () => {
    const counters = new IntegrationCounters();
    const first = counters.link(spec);
    first.received(10);
    expect(counters.link(spec)).toBe(first);
    counters.link({ ...spec, id: 'i2' }).received(5);
    counters.forget('i1');
    expect(counters.find('i1')).toBeUndefined();
    expect([...counters.all()].map((c) => c.integrationId)).toEqual(['i2']);
    expect(counters.byType().get('mqtt')).toMatchObject({ messagesReceived: 2, bytesReceived: 15, up: 0 });
  });

  it('observed() tells the observer first and leaves the reporter whole', () => {
    const seen: string[] = [];
    const counts = new IntegrationCounters().link(spec);
    const reporter: LinkReporter = {
      status: () => seen.push('status'),
      event: (e) => seen.push(`event ${e.type}`),
      message: (m) => seen.push(`message ${String(m.payload)}`),
    };
    const wrapped = observed(counts, reporter);
    wrapped.event({ integrationId: 'i1', applicationId: 'a1', type: 'connected', message: null });
    wrapped.message({ topic: 't', payload: 'héllo', binary: false, integrationId: 'i1', applicationId: 'a1', time: 0 });
    wrapped.status('i1', {});
    expect(seen).toEqual(['event connected', 'message héllo', 'status']);
    expect({ up: counts.up, received: counts.messagesReceived, bytes: counts.bytesReceived }).toEqual({ up: 1, received: 1, bytes: 6 });
  });
});
