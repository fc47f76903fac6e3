import pino from 'pino';
import { beforeEach, describe, expect, it } from 'vitest';
import type { IntegrationSpec } from '../../src/domain/integration-spec.js';
import { newId } from '../../src/lib/ids.js';
import { ConnectGate } from '../../src/runtime/connect-gate.js';
import { ConnectError, type Connector, type ConnectorEvents, type ConnectorFactory } from '../../src/runtime/connector.js';
import { EndpointRecovery } from '../../src/runtime/endpoint-recovery.js';
import { Link, type LinkOptions, type LinkReporter } from '../../src/runtime/link.js';
import type { IntegrationStatus } from '../../src/store/store.js';
import { ManualClock } from '../support/manual-clock.js';
import { ScriptedNetwork, settle } from './scripted-connector.js';

const OPTIONS: LinkOptions = {
  backoff: { baseMs: 1000, maxMs: 60_000 },
  resetAfterMs: 30_000,
  keepAliveReportMs: 5000,
  connector: { connectTimeoutMs: 10_000, keepaliveSeconds: 30 },
};

function mqttSpec(host = 'broker.test', port = 1883): IntegrationSpec {
  return { id: newId(), applicationId: 'app', name: 'i', integrationType: 'mqtt', enabled: true, topics: ['t/#'], config: { host, port, protocol: 'mqtt' }, status: {} };
}

/** A seeded generator, so the crowds below draw the same delays on every run. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Recorder implements LinkReporter {
  readonly statuses = new Map<string, IntegrationStatus>();
  /** Every status reported for one integration, in order. */
  readonly history: IntegrationStatus[] = [];
  status(id: string, status: IntegrationStatus) {
    this.statuses.set(id, status);
    this.history.push(status);
  }
  event() {}
  message() {}
}

describe('Link status.state', () => {
  let clock: ManualClock;
  let net: ScriptedNetwork;
  let reporter: Recorder;

  function link(spec: IntegrationSpec, gate = new ConnectGate(1000, clock)) {
    return new Link(spec, spec.status, { clock, gate, factory: net.factory, reporter, logger: pino({ level: 'silent' }), options: OPTIONS, random: () => 0.5 });
  }

  beforeEach(() => {
    clock = new ManualClock();
    net = new ScriptedNetwork();
    reporter = new Recorder();
  });

  it('says connecting as soon as the attempt is queued, not once it times out', () => {
    const spec = mqttSpec();
    link(spec).start();
    expect(reporter.statuses.get(spec.id)).toEqual({ state: 'connecting' });
    clock.advance(9_999); // the connect timeout has not fired yet: still connecting
    expect(reporter.statuses.get(spec.id)).toEqual({ state: 'connecting' });
  });

  it('connecting → reconnecting with a nextAttempt → connecting with none while the retry runs → connected', async () => {
    const spec = mqttSpec();
    link(spec).start();
    net.latest(spec.id).fail('Connection refused');
    await settle();
    const failedAt = clock.now();
    expect(reporter.statuses.get(spec.id)).toEqual({ state: 'reconnecting', disconnectInfo: { ts: failedAt, error: 'Connection refused' }, nextAttempt: failedAt + 500 });

    clock.advance(500);
    const retrying = reporter.statuses.get(spec.id)!;
    expect(retrying.state).toBe('connecting');
    expect(retrying).not.toHaveProperty('nextAttempt'); // not a time already past
    expect(retrying.disconnectInfo).toEqual({ ts: failedAt, error: 'Connection refused' });

    net.latest(spec.id).succeed();
    await settle();
    expect(reporter.statuses.get(spec.id)).toEqual({ state: 'connected', connectInfo: { ts: clock.now() }, lastKeepAlive: clock.now(), disconnectInfo: { ts: failedAt, error: 'Connection refused' } });
  });

  it('a retry held back by the connect gate already says connecting, with no stale nextAttempt', async () => {
    const gate = new ConnectGate(1, clock);
    const busy = mqttSpec();
    const spec = mqttSpec();
    link(busy, gate).start();
    link(spec, gate).start();
    expect(net.of(spec.id)).toHaveLength(0); // queued behind `busy`
    expect(reporter.statuses.get(spec.id)).toEqual({ state: 'connecting' });
    clock.advance(1000);
    net.latest(spec.id).fail('Connection refused');
    await settle();
    for (let i = 0; i < 5; i++) gate.enter(() => {}); // others take the next slots
    clock.advance(500);
    expect(net.of(spec.id)).toHaveLength(1);
    expect(reporter.statuses.get(spec.id)).toMatchObject({ state: 'connecting' });
    expect(reporter.statuses.get(spec.id)).not.toHaveProperty('nextAttempt');
  });

  it('records disabled, or connecting when Tributary stops, with no nextAttempt', async () => {
    const a = mqttSpec();
    const b = mqttSpec();
    const la = link(a);
    const lb = link(b);
    la.start();
    lb.start();
    net.latest(a.id).fail('refused');
    net.latest(b.id).fail('refused');
    await settle();
    await la.stop({ error: 'disabled', event: 'disabled' });
    await lb.stop({ error: 'Tributary stopped', event: 'stopped' });
    expect(reporter.statuses.get(a.id)).toEqual({ state: 'disabled', disconnectInfo: { ts: clock.now(), error: 'disabled' } });
    expect(reporter.statuses.get(b.id)).toEqual({ state: 'connecting', disconnectInfo: { ts: clock.now(), error: 'Tributary stopped' } });
  });

  it('does not rewrite a stored connecting status at start', () => {
    const spec = { ...mqttSpec(), status: { state: 'connecting' as const, connectInfo: { ts: 1 } } };
    link(spec).start();
    expect(reporter.history).toHaveLength(0);
  });
});

/**
 * A broker the links reach through the real gate, backoff and recovery: while
 * it is up an attempt succeeds, while down it is refused at once, and going
 * down drops every link it holds.
 */
class FakeBroker {
  up = true;
  readonly attempts: number[] = [];
  private readonly held = new Set<ConnectorEvents>();

  constructor(private readonly clock: ManualClock) {}

  readonly factory: ConnectorFactory = (_spec, events): Connector => {
    let connected = false;
    return {
      connect: () => {
        this.attempts.push(this.clock.now());
        if (!this.up) return Promise.reject(new ConnectError('Connection refused by broker.test:1883 (ECONNREFUSED)'));
        connected = true;
        this.held.add(events);
        return Promise.resolve();
      },
      setTopics: async () => {},
      publish: async () => {},
      close: async () => {
        if (connected) this.held.delete(events);
        connected = false;
      },
    };
  };

  crash(): void {
    this.up = false;
    const held = [...this.held];
    this.held.clear();
    for (const events of held) events.down('Connection closed by the broker');
  }

  /** Most attempts in any one second from `from` on. */
  peakPerSecond(from: number): number {
    const perSecond = new Map<number, number>();
    for (const at of this.attempts) if (at >= from) perSecond.set(Math.floor((at - from) / 1000), (perSecond.get(Math.floor((at - from) / 1000)) ?? 0) + 1);
    return Math.max(0, ...perSecond.values());
  }
}

describe('Link per-endpoint recovery', () => {
  interface Outcome {
    /** From the broker's return until the last link was connected again. */
    readonly recoveredMs: number;
    readonly peakPerSecond: number;
  }

  /** `count` links on one broker; the broker is down for `outageMs`; steps the manual clock 10 ms at a time. */
  async function outage(count: number, options: { outageMs: number; connectRate: number; recovery: boolean; seed?: number }): Promise<Outcome> {
    const clock = new ManualClock();
    const broker = new FakeBroker(clock);
    const gate = new ConnectGate(options.connectRate, clock);
    const random = seeded(options.seed ?? 1);
    const recovery = options.recovery ? new EndpointRecovery({ spreadMs: 2000, perSecond: options.connectRate }, random) : undefined;
    const links = Array.from({ length: count }, () => {
      const spec = mqttSpec();
      return new Link(spec, spec.status, { clock, gate, factory: broker.factory, reporter: new Recorder(), ...(recovery ? { recovery } : {}), logger: pino({ level: 'silent' }), options: OPTIONS, random });
    });
    const step = async (ms: number) => {
      for (let t = 0; t < ms; t += 10) {
        clock.advance(10);
        await settle();
      }
    };
    const untilAllUp = async (limitMs: number) => {
      const from = clock.now();
      while (links.some((l) => !l.connected)) {
        if (clock.now() - from > limitMs) throw new Error(`${links.filter((l) => !l.connected).length} of ${count} links still down after ${limitMs} ms`);
        await step(10);
      }
      return clock.now() - from;
    };

    for (const l of links) l.start();
    await untilAllUp(60_000);
    await step(40_000); // up long enough for every backoff to reset
    broker.crash();
    await step(options.outageMs);
    broker.up = true;
    const back = clock.now();
    const recoveredMs = await untilAllUp(120_000);
    for (const l of links) await l.stop();
    return { recoveredMs, peakPerSecond: broker.peakPerSecond(back) };
  }

  it('1,000 links on a broker down for 10 s are all back within a few seconds of its return, within the connect rate', async () => {
    const withRecovery = await outage(1000, { outageMs: 10_000, connectRate: 1000, recovery: true });
    expect(withRecovery.recoveredMs).toBeLessThanOrEqual(3000); // SPEC: 15 s
    expect(withRecovery.peakPerSecond).toBeLessThanOrEqual(1100); // the rate plus the gate's tenth-second burst
    // The same crowd on backoff alone waits out windows that grew to 8–16 s.
    const alone = await outage(1000, { outageMs: 10_000, connectRate: 1000, recovery: false });
    expect(alone.recoveredMs).toBeGreaterThan(6000);
  }, 60_000);

  it('spreads a crowd over at least the time the connect rate needs', async () => {
    const slow = await outage(600, { outageMs: 10_000, connectRate: 200, recovery: true, seed: 7 });
    expect(slow.peakPerSecond).toBeLessThanOrEqual(220);
    expect(slow.recoveredMs).toBeGreaterThanOrEqual(2500); // 600 at 200/s
    expect(slow.recoveredMs).toBeLessThanOrEqual(4500);
  }, 60_000);

  it('hurries a link refused for its own reasons once, not every time a neighbour connects', async () => {
    const clock = new ManualClock();
    const net = new ScriptedNetwork();
    const gate = new ConnectGate(1000, clock);
    const recovery = new EndpointRecovery({ spreadMs: 2000, perSecond: 1000 }, () => 0.5);
    const make = (spec: IntegrationSpec) => new Link(spec, spec.status, { clock, gate, factory: net.factory, reporter: new Recorder(), recovery, logger: pino({ level: 'silent' }), options: OPTIONS, random: () => 0.999 });
    const refused = mqttSpec();
    const neighbours = Array.from({ length: 3 }, () => mqttSpec());
    const elsewhere = mqttSpec('elsewhere.test');
    make(refused).start();
    make(elsewhere).start();
    for (let i = 0; i < 4; i++) {
      net.latest(refused.id).fail('Not authorized (CONNACK 5)');
      net.latest(elsewhere.id).fail('Connection refused');
      await settle();
      clock.advance(2 ** (i + 1) * 1000); // past both retries
    }
    const attemptsBefore = net.of(refused.id).length;
    net.latest(refused.id).fail('Not authorized (CONNACK 5)');
    net.latest(elsewhere.id).fail('Connection refused');
    await settle(); // both now wait ~16 s
    const elsewhereAttempts = net.of(elsewhere.id).length;

    make(neighbours[0]!).start();
    net.latest(neighbours[0]!.id).succeed();
    await settle();
    clock.advance(1000); // hurried: 0.5 × 2000 ms
    expect(net.of(refused.id)).toHaveLength(attemptsBefore + 1);
    expect(net.of(elsewhere.id)).toHaveLength(elsewhereAttempts); // another endpoint: left alone

    net.latest(refused.id).fail('Not authorized (CONNACK 5)');
    await settle(); // back on its own backoff, ~32 s
    for (const n of neighbours.slice(1)) {
      make(n).start();
      net.latest(n.id).succeed();
      await settle();
    }
    clock.advance(5000);
    expect(net.of(refused.id)).toHaveLength(attemptsBefore + 1);
  });

  it('never postpones a retry that is due sooner than the hurry', async () => {
    const clock = new ManualClock();
    const net = new ScriptedNetwork();
    const gate = new ConnectGate(1000, clock);
    const recovery = new EndpointRecovery({ spreadMs: 2000, perSecond: 1000 }, () => 0.999);
    const reporter = new Recorder();
    const soon = mqttSpec();
    const other = mqttSpec();
    new Link(soon, soon.status, { clock, gate, factory: net.factory, reporter, recovery, logger: pino({ level: 'silent' }), options: OPTIONS, random: () => 0.1 }).start();
    net.latest(soon.id).fail('Connection refused');
    await settle();
    const due = reporter.statuses.get(soon.id)!.nextAttempt!;
    expect(due - clock.now()).toBe(100);
    new Link(other, other.status, { clock, gate, factory: net.factory, reporter, recovery, logger: pino({ level: 'silent' }), options: OPTIONS }).start();
    net.latest(other.id).succeed();
    await settle();
    expect(reporter.statuses.get(soon.id)!.nextAttempt).toBe(due);
    clock.advance(100);
    expect(net.of(soon.id)).toHaveLength(2);
  });
});
