import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { startEventHubsPeer } from '../peers/event-hubs/index.js';
import type { EventHubsPeer } from '../peers/event-hubs/index.js';
import { waitFor } from '../support/wait.js';
import { DrillServer, pause, storeLegs } from './server-process.js';
import type { RetainedMessage } from './server-process.js';

const TOTAL = 600;
const PARTITIONS = ['0', '1'];
const BURST = 100;

/**
 * SPEC §6/§7 drills for `azureEventHub`: a producer appends events to a
 * two-partition hub of the Event Hubs peer while Tributary reads it and is
 * stopped halfway, then started again. Tributary keeps its checkpoints in its
 * own store, written after retention.
 *  - kill -9: every event is in the `messages` collection (at least once);
 *  - SIGTERM: every checkpoint is written before the process exits, so the
 *    restart resumes where it stopped: each event exactly once.
 */
async function drill(server: DrillServer, signal: NodeJS.Signals): Promise<RetainedMessage[]> {
  const peer: EventHubsPeer = await startEventHubsPeer();
  try {
    const hubName = `drill-${randomBytes(4).toString('hex')}`;
    peer.createHub(hubName, PARTITIONS.length);
    // Before Tributary ever read the hub: its first start begins at the latest event, so these are never read.
    for (const id of PARTITIONS) peer.append(hubName, id, { body: 'before' });
    await server.start();
    const at = await server.integration({ integrationType: 'azureEventHub', azureEventHubConfig: { hubName, consumerGroup: '$default', connectionString: peer.connectionString(hubName) } });

    const append = (i: number) => {
      for (const [n, id] of PARTITIONS.entries()) peer.append(hubName, id, { body: String(i + n), properties: { n: i + n } });
    };
    let retainedAtStop = 0;
    for (let i = 0; i < TOTAL; i += PARTITIONS.length) {
      if (i !== TOTAL / 2) {
        append(i);
        await pause(5);
        continue;
      }
      retainedAtStop = await waitFor(async () => (await server.retained(at)).length || undefined, 'the first events retained', 10_000, 50);
      // A burst, and the stop while Tributary reads it: events received, some retained, checkpoints behind.
      for (let j = 0; j < BURST; j += PARTITIONS.length) append(i + j);
      await pause(8);
      expect(await server.stop(signal)).toBe(signal === 'SIGKILL' ? 'SIGKILL' : 0);
      i += BURST - PARTITIONS.length;
    }
    // Tributary was reading when it stopped: some events were retained before, the rest come after the restart.
    expect(retainedAtStop).toBeGreaterThan(0);
    expect(retainedAtStop).toBeLessThan(TOTAL);
    await server.start();

    await waitFor(
      async () => (new Set((await server.retained(at)).map((m) => m.message)).size === TOTAL ? true : undefined),
      'every event in the collection',
      25_000,
      250,
    );
    const items = await server.retained(at);
    expect(items.every((m) => m.topic === hubName && m.message !== 'before')).toBe(true);
    expect(new Set(items.map((m) => Number(m.message)))).toEqual(new Set(Array.from({ length: TOTAL }, (_, i) => i)));
    // The service's own position travels as sourceId, its properties (plus partitionId) as attributes.
    for (const m of items) {
      const partitionId = String(Number(m.message) % PARTITIONS.length);
      expect(m.sourceId).toBe(`${partitionId}:${Math.floor(Number(m.message) / PARTITIONS.length) + 1}`);
      expect(m.attributes).toEqual({ n: m.message, partitionId });
    }
    await server.stop('SIGTERM');
    return items;
  } finally {
    await peer.stop();
  }
}

describe.each(storeLegs())('Event Hubs drills on $name', (leg) => {
  const servers: DrillServer[] = [];
  // One key for the leg: both drills' servers use the same PostgreSQL schema, whose secrets it seals.
  const secretKey = randomBytes(32).toString('hex');
  const server = () => {
    const made = new DrillServer({ ...leg.env(), MESSAGE_RETENTION_COUNT: '5000', TRIBUTARY_SECRET_KEY: secretKey });
    servers.push(made);
    return made;
  };
  afterAll(async () => {
    for (const made of servers) await made.destroy();
    await leg.cleanup();
  });

  it('kill -9 mid-stream loses no event', async () => {
    const items = await drill(server(), 'SIGKILL');
    expect(items.length).toBeGreaterThanOrEqual(TOTAL);
  }, 60_000);

  it('a clean stop (SIGTERM) and a restart resume from the checkpoints: each event exactly once', async () => {
    const items = await drill(server(), 'SIGTERM');
    expect(items.map((m) => m.sourceId).sort()).toEqual([...new Set(items.map((m) => m.sourceId))].sort());
    expect(items).toHaveLength(TOTAL);
  }, 60_000);
});
