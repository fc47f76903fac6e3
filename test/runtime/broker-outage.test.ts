import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectorFactories } from '../../src/runtime/connectors/registry.js';
import type { IntegrationStatus } from '../../src/store/store.js';
import { buildTestApp, type TestApp } from '../support/app.js';
import { mosquittoAvailable, mosquittoProcess, type RestartableBroker } from '../support/mqtt-brokers.js';
import { storeTargets } from '../support/stores.js';
import { waitFor } from '../support/wait.js';

const COUNT = 200;
const OUTAGE_MS = 5000;
/** Recovery spread (2 s) plus margin for a busy machine; backoff alone leaves windows of 4–16 s by now. */
const BOUND_MS = 4500;

/**
 * Per-endpoint recovery on real sockets: a private Mosquitto (never the
 * machine's shared one) is killed under 200 live MQTT integrations and started
 * again on the same port; all are back far sooner than their own backoff
 * windows, which grew while it was down, would allow.
 */
describe.skipIf(!mosquittoAvailable())('a broker outage under the real runtime', () => {
  let broker: RestartableBroker;
  let t: TestApp;
  let appId: string;

  /** The statuses as the runtime wrote them to the store (state included). */
  const statuses = async (): Promise<IntegrationStatus[]> => {
    const page = await t.ctx.store.integrations.list(appId, { sortField: 'id', sortDirection: 'asc', page: 0, perPage: 1000 });
    return page.items.map((row) => row.status);
  };
  const allConnected = async (since: number) => {
    const all = await statuses();
    return all.length === COUNT && all.every((s) => s.state === 'connected' && (s.connectInfo?.ts ?? 0) >= since && s.nextAttempt === undefined) ? true : undefined;
  };

  beforeAll(async () => {
    broker = (await mosquittoProcess())!;
    t = await buildTestApp(storeTargets()[0]!, {}, { factories: connectorFactories });
    await t.ctx.runtime.start();
    appId = await t.createApplication();
  });

  afterAll(async () => {
    await t?.close();
    await broker?.close();
  });

  it(`brings ${COUNT} integrations back within ${BOUND_MS / 1000} s of their broker's return`, async () => {
    const created = Date.now();
    for (let i = 0; i < COUNT; i++) {
      const res = await t.request('POST', `/applications/${appId}/integrations`, {
        body: { name: `outage-${i}`, integrationType: 'mqtt', topics: [`outage/${i}/#`], mqttConfig: { host: broker.host, port: broker.port, protocol: 'mqtt' } },
      });
      expect(res.statusCode).toBe(201);
    }
    await waitFor(() => allConnected(created), `all ${COUNT} to connect`, 20_000, 100);

    const killed = Date.now();
    await broker.stop();
    await waitFor(() => (t.ctx.runtime.supervisor.connectedCount === 0 ? true : undefined), 'every link to notice', 5000);
    await new Promise((resolve) => setTimeout(resolve, killed + OUTAGE_MS - Date.now()));
    const waiting = await statuses();
    expect(waiting.every((s) => s.state !== 'connected')).toBe(true);
    // What backoff alone would give: the latest retry already scheduled.
    const latestRetry = Math.max(...waiting.map((s) => s.nextAttempt ?? 0));

    const restarted = Date.now(); // before it listens: links may be back before start() resolves
    await broker.start();
    await waitFor(() => (t.ctx.runtime.supervisor.connectedCount === COUNT ? true : undefined), `all ${COUNT} to reconnect`, 30_000, 20);
    const recoveredMs = Date.now() - restarted;
    await waitFor(() => allConnected(restarted), 'the store to show them connected', 5000, 50);

    expect(recoveredMs).toBeLessThanOrEqual(BOUND_MS);
    expect(latestRetry - restarted).toBeGreaterThan(recoveredMs + 1000);
  }, 90_000);
});
