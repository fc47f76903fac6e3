import pino from 'pino';
import { beforeEach, describe, expect, it } from 'vitest';
import { DomainEvents } from '../../src/events.js';
import { newId } from '../../src/lib/ids.js';
import type { IntegrationSpec } from '../../src/domain/integration-spec.js';
import type { IntegrationType } from '../../src/domain/integration-types.js';
import { ConnectGate } from '../../src/runtime/connect-gate.js';
import { NotConnectedError } from '../../src/runtime/connector.js';
import { MessageBus, type MessageSubscriber } from '../../src/runtime/message-bus.js';
import { MessageLog } from '../../src/runtime/message-log.js';
import type { Store } from '../../src/store/store.js';
import type { ConnectionEvent, StatusWriter } from '../../src/runtime/status-writer.js';
import { Supervisor } from '../../src/runtime/supervisor.js';
import type { IntegrationStatus } from '../../src/store/store.js';
import { ManualClock } from '../support/manual-clock.js';
import { ScriptedNetwork, settle } from './scripted-connector.js';

/** Records what the supervisor would write, instead of a store. */
class RecordingWriter {
  statuses = new Map<string, IntegrationStatus>();
  events: ConnectionEvent[] = [];
  forgotten: string[] = [];
  stopped = false;
  setStatus(id: string, status: IntegrationStatus) {
    this.statuses.set(id, status);
  }
  addEvent(event: ConnectionEvent) {
    this.events.push(event);
  }
  forget(id: string) {
    this.forgotten.push(id);
    this.statuses.delete(id);
  }
  async stop() {
    this.stopped = true;
  }
}

const appId = newId();
function spec(overrides: Partial<IntegrationSpec> = {}): IntegrationSpec {
  return { id: newId(), applicationId: appId, name: 'i', integrationType: 'mqtt', enabled: true, topics: ['t/#'], config: { host: 'h', port: 1883, protocol: 'mqtt' }, status: {}, ...overrides };
}

describe('Supervisor', () => {
  let clock: ManualClock;
  let net: ScriptedNetwork;
  let writer: RecordingWriter;
  let events: DomainEvents;
  let bus: MessageBus;
  let stored: IntegrationSpec[];

  function supervisor(options: { connectRate?: number; random?: () => number } = {}) {
    return new Supervisor({
      events,
      enabledSpecs: async function* (types: readonly IntegrationType[]) {
        for (const s of stored) if (s.enabled && types.includes(s.integrationType)) yield s;
      },
      factories: { mqtt: net.factory },
      bus,
      log: new MessageLog(undefined as unknown as Store, bus, { count: 0, seconds: 0 }, clock, pino({ level: 'silent' })),
      writer: writer as unknown as StatusWriter,
      gate: new ConnectGate(options.connectRate ?? 1000, clock),
      clock,
      logger: pino({ level: 'silent' }),
      linkOptions: { backoff: { baseMs: 1000, maxMs: 60_000 }, resetAfterMs: 30_000, keepAliveReportMs: 5000, connector: { connectTimeoutMs: 1000, keepaliveSeconds: 30 } },
      random: options.random ?? (() => 0.5),
    });
  }

  beforeEach(() => {
    clock = new ManualClock();
    net = new ScriptedNetwork();
    writer = new RecordingWriter();
    events = new DomainEvents();
    bus = new MessageBus();
    stored = [];
  });

  it('converges on the store at start: one link per enabled integration of a connected type', async () => {
    const a = spec();
    const b = spec({ enabled: false });
    const c = spec({ integrationType: 'sqs', config: { queueUrl: 'q' } });
    stored = [a, b, c];
    const sup = supervisor();
    await sup.start();
    expect(net.connectors.map((x) => x.spec.id)).toEqual([a.id]);
    expect(sup.linkCount).toBe(1);
    expect(writer.statuses.get(c.id)).toEqual({ state: 'unsupported', disconnectInfo: { ts: clock.now(), error: 'Tributary does not connect sqs integrations yet' } });
    expect(writer.statuses.get(a.id)).toEqual({ state: 'connecting' }); // from the moment its attempt is queued
    expect(writer.statuses.has(b.id)).toBe(false);
  });

  it('reports connected, then a loss with the reason and the next attempt, then reconnects', async () => {
    const a = spec({ status: { connectInfo: { ts: 1 }, disconnectInfo: { ts: 2, error: 'old' } } });
    stored = [a];
    const sup = supervisor();
    await sup.start();
    net.latest(a.id).succeed();
    await settle();
    const t0 = clock.now();
    expect(writer.statuses.get(a.id)).toEqual({ state: 'connected', connectInfo: { ts: t0 }, disconnectInfo: { ts: 2, error: 'old' }, lastKeepAlive: t0 });
    expect(sup.isConnected(a.id)).toBe(true);

    clock.advance(10_000);
    net.latest(a.id).events.down('Keepalive timeout');
    const t1 = clock.now();
    expect(writer.statuses.get(a.id)).toMatchObject({ state: 'reconnecting', disconnectInfo: { ts: t1, error: 'Keepalive timeout' }, nextAttempt: t1 + 500 });
    expect(net.latest(a.id).closed).toBe(true);
    expect(net.of(a.id)).toHaveLength(1);

    clock.advance(499);
    expect(net.of(a.id)).toHaveLength(1);
    clock.advance(1);
    expect(net.of(a.id)).toHaveLength(2);
    expect(writer.statuses.get(a.id)).toEqual({ state: 'connecting', connectInfo: { ts: t0 }, disconnectInfo: { ts: t1, error: 'Keepalive timeout' }, lastKeepAlive: t0 });
    net.latest(a.id).succeed();
    await settle();
    expect(writer.statuses.get(a.id)).toMatchObject({ state: 'connected' });
    expect(writer.statuses.get(a.id)).not.toHaveProperty('nextAttempt');
    expect(writer.events.map((e) => e.type)).toEqual(['connected', 'disconnected', 'connected']);
  });

  it('backs off exponentially while attempts fail, and resets after 30 s up', async () => {
    const a = spec();
    stored = [a];
    const sup = supervisor({ random: () => 0.999 });
    await sup.start();
    const delays: number[] = [];
    for (let i = 0; i < 5; i++) {
      net.latest(a.id).fail('Connection refused by h:1883 (ECONNREFUSED)');
      await settle();
      const status = writer.statuses.get(a.id)!;
      delays.push(status.nextAttempt! - clock.now());
      expect(status.disconnectInfo?.error).toBe('Connection refused by h:1883 (ECONNREFUSED)');
      clock.advance(status.nextAttempt! - clock.now());
    }
    expect(delays).toEqual([999, 1998, 3996, 7992, 15984]);

    net.latest(a.id).succeed();
    await settle();
    clock.advance(29_000);
    net.latest(a.id).events.down('Connection closed by the broker');
    expect(writer.statuses.get(a.id)!.nextAttempt! - clock.now()).toBe(31_968); // still backing off: it flapped
    clock.advance(31_968);
    net.latest(a.id).succeed();
    await settle();
    clock.advance(30_000);
    net.latest(a.id).events.down('Connection closed by the broker');
    expect(writer.statuses.get(a.id)!.nextAttempt! - clock.now()).toBe(999); // stable for 30 s: reset
    await sup.stop();
  });

  it('applies a topics-only PATCH in place and reconnects at once on a config PATCH', async () => {
    const a = spec();
    stored = [a];
    const sup = supervisor();
    await sup.start();
    net.latest(a.id).succeed();
    await settle();

    events.emit('integrationUpdated', a, { ...a, topics: ['t/#', 'u/+'] });
    expect(net.of(a.id)).toHaveLength(1);
    expect(net.latest(a.id).topicChanges).toEqual([['t/#', 'u/+']]);

    const moved = { ...a, topics: ['t/#', 'u/+'], config: { ...a.config, host: 'other' } };
    events.emit('integrationUpdated', a, moved);
    expect(net.of(a.id)).toHaveLength(2);
    expect(net.of(a.id)[0]!.closed).toBe(true);
    expect(net.latest(a.id).spec.config).toEqual(moved.config);
    await sup.stop();
  });

  it('applies topics changed while a connection attempt was in flight', async () => {
    const a = spec();
    stored = [a];
    const sup = supervisor();
    await sup.start();
    events.emit('integrationUpdated', a, { ...a, topics: ['new'] });
    net.latest(a.id).succeed();
    await settle();
    expect(net.latest(a.id).topics).toEqual(['new']);
    await sup.stop();
  });

  it('disables: closes and records "disabled" with no next attempt', async () => {
    const a = spec();
    stored = [a];
    const sup = supervisor();
    await sup.start();
    net.latest(a.id).fail('refused');
    await settle();
    events.emit('integrationUpdated', a, { ...a, enabled: false });
    await settle();
    const status = writer.statuses.get(a.id)!;
    expect(status.disconnectInfo?.error).toBe('disabled');
    expect(status.state).toBe('disabled');
    expect(status).not.toHaveProperty('nextAttempt');
    clock.advance(120_000);
    expect(net.of(a.id)).toHaveLength(1);
    expect(sup.linkCount).toBe(0);

    events.emit('integrationUpdated', { ...a, enabled: false }, a);
    expect(net.of(a.id)).toHaveLength(2);
    await sup.stop();
  });

  it('creates links for new integrations and drops them on delete, ending their streams', async () => {
    const sup = supervisor();
    await sup.start();
    const a = spec();
    events.emit('integrationCreated', a);
    net.latest(a.id).succeed();
    await settle();
    const ended: string[] = [];
    const subscriber: MessageSubscriber = { deliver: () => {}, end: (reason) => ended.push(reason) };
    bus.subscribeIntegration(a.id, appId, subscriber);

    events.emit('integrationDeleted', { id: a.id, applicationId: appId });
    expect(net.latest(a.id).closed).toBe(true);
    expect(writer.forgotten).toContain(a.id);
    expect(ended).toEqual(['The integration was deleted']);
    expect(sup.linkCount).toBe(0);

    const disabled = spec({ enabled: false });
    events.emit('integrationCreated', disabled);
    expect(net.of(disabled.id)).toHaveLength(0);
    expect(writer.statuses.has(disabled.id)).toBe(false); // never connected: nothing to report
  });

  it('closes every link of a deleted application', async () => {
    const a = spec();
    const b = spec();
    stored = [a, b];
    const sup = supervisor();
    await sup.start();
    events.emit('applicationDeleted', { id: appId, integrationIds: [a.id, b.id] });
    expect(net.connectors.every((c) => c.closed)).toBe(true);
    expect(sup.linkCount).toBe(0);
  });

  it('delivers messages to the bus and publishes only while connected', async () => {
    const a = spec();
    stored = [a];
    const sup = supervisor();
    await sup.start();
    await expect(sup.publish(a.id, { topic: 't', payload: 'x', qos: 1, retain: false })).rejects.toBeInstanceOf(NotConnectedError);
    net.latest(a.id).succeed();
    await settle();
    const received: string[] = [];
    bus.subscribeIntegration(a.id, appId, { deliver: (_pos, d) => received.push(d), end: () => {} });
    net.latest(a.id).events.message({ topic: 't/1', payload: Buffer.from('hello'), binary: false });
    expect(JSON.parse(received[0]!)).toEqual({ time: new Date(clock.now()).toISOString(), topic: 't/1', message: 'hello' });
    await sup.publish(a.id, { topic: 't', payload: 'x', qos: 1, retain: false });
    expect(net.latest(a.id).published).toHaveLength(1);
    await sup.stop();
  });

  it('spreads a crowd that lost its broker and caps the connection rate', async () => {
    stored = Array.from({ length: 2000 }, () => spec());
    const sup = supervisor({ connectRate: 500, random: Math.random });
    await sup.start();
    clock.advance(5000);
    for (const s of stored) net.latest(s.id).succeed();
    await settle();
    expect(sup.connectedCount).toBe(2000);

    clock.advance(60_000);
    const dropAt = clock.now();
    for (const s of stored) net.latest(s.id).events.down('Connection closed by the broker');
    const nextAttempts = stored.map((s) => writer.statuses.get(s.id)!.nextAttempt ?? 0);
    const attemptsPerSecond: number[] = [];
    let previous = net.connectors.length;
    for (let second = 0; second < 8; second++) {
      clock.advance(1000);
      attemptsPerSecond.push(net.connectors.length - previous);
      previous = net.connectors.length;
    }
    expect(net.connectors.length - 2000).toBe(2000);
    expect(Math.max(...attemptsPerSecond)).toBeLessThanOrEqual(550); // the rate plus a tenth-second burst
    expect(new Set(nextAttempts).size).toBeGreaterThan(500);
    expect(Math.min(...nextAttempts)).toBeGreaterThanOrEqual(dropAt);
    expect(Math.max(...nextAttempts) - dropAt).toBeLessThanOrEqual(1000);
    // Every retry is under way: no status shows a nextAttempt that has passed.
    expect(stored.every((s) => writer.statuses.get(s.id)!.state === 'connecting' && writer.statuses.get(s.id)!.nextAttempt === undefined)).toBe(true);
    await sup.stop();
  });

  it('records unsupported once for a type without a connector, and again only when the stored status differs', async () => {
    const current = spec({ integrationType: 'sqs', config: { queueUrl: 'q' }, status: { state: 'unsupported', disconnectInfo: { ts: 1, error: 'Tributary does not connect sqs integrations yet' } } });
    const older = spec({ integrationType: 'sqs', config: { queueUrl: 'q' }, status: { disconnectInfo: { ts: 1, error: 'Tributary does not connect sqs integrations yet' } } });
    stored = [current, older];
    const sup = supervisor();
    await sup.start();
    expect(writer.statuses.has(current.id)).toBe(false);
    expect(writer.statuses.get(older.id)?.state).toBe('unsupported');
    await sup.stop();
  });

  it('records disabled for an integration disabled while it had no link', async () => {
    const sqs = spec({ integrationType: 'sqs', config: { queueUrl: 'q' }, status: { state: 'unsupported', nextAttempt: 5 } });
    const sup = supervisor();
    await sup.start();
    events.emit('integrationUpdated', sqs, { ...sqs, enabled: false });
    expect(writer.statuses.get(sqs.id)).toEqual({ state: 'disabled', disconnectInfo: { ts: clock.now(), error: 'disabled' } });
    await sup.stop();
  });

  it('brings the other integrations of a broker back together once one of them reconnects', async () => {
    const onBroker = Array.from({ length: 50 }, () => spec());
    const elsewhere = spec({ config: { host: 'other', port: 1883, protocol: 'mqtt' } });
    stored = [...onBroker, elsewhere];
    const sup = supervisor({ random: () => 0.999 });
    await sup.start();
    for (const s of stored) net.latest(s.id).succeed();
    await settle();
    clock.advance(60_000);
    for (const s of stored) net.latest(s.id).events.down('Connection closed by the broker');
    for (let i = 0; i < 4; i++) {
      clock.advance(2 ** i * 1000); // each retry is refused: the windows grow to 16 s
      for (const s of stored) net.latest(s.id).fail('Connection refused by h:1883 (ECONNREFUSED)');
      await settle();
    }
    const waiting = (s: IntegrationSpec) => writer.statuses.get(s.id)!.nextAttempt! - clock.now();
    expect(waiting(onBroker[1]!)).toBe(15_984);

    // The broker is back; a new integration on it connects, and the others follow within the spread (2 s).
    const newcomer = spec();
    events.emit('integrationCreated', newcomer);
    net.latest(newcomer.id).succeed();
    await settle();
    for (const s of onBroker) expect(waiting(s)).toBeLessThan(2000);
    expect(waiting(elsewhere)).toBe(15_984);
    clock.advance(2000);
    for (const s of onBroker) expect(net.of(s.id)).toHaveLength(6);
    expect(net.of(elsewhere.id)).toHaveLength(5);
    await sup.stop();
  });

  it('stops every link, recording why', async () => {
    const a = spec();
    stored = [a];
    const sup = supervisor();
    await sup.start();
    net.latest(a.id).succeed();
    await settle();
    await sup.stop();
    expect(net.latest(a.id).closed).toBe(true);
    expect(writer.statuses.get(a.id)?.disconnectInfo?.error).toBe('Tributary stopped');
    expect(writer.statuses.get(a.id)?.state).toBe('connecting'); // still enabled: the next start (or another node) takes it up
    expect(writer.stopped).toBe(true);
  });
});
