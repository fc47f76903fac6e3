import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { SQS_PEER_CREDENTIALS, SQS_PEER_REGION, startSqsPeer } from '../peers/sqs/fauxqs-peer.js';
import { waitFor } from '../support/wait.js';
import { DrillServer, pause, storeLegs } from './server-process.js';

const TOTAL = 600;
const BURST = 50;
/** Short, so a message Tributary received but never deleted comes back within the drill. */
const VISIBILITY_TIMEOUT_SECONDS = 3;

/**
 * SPEC §6/§7 drill: an `sqs` integration reads a queue that a producer keeps
 * filling while Tributary is killed with SIGKILL halfway and started again.
 * Every message must be in the `messages` collection (duplicates allowed,
 * none missing), and the queue must end empty: what Tributary retained was
 * deleted, what it had not was received again after its visibility timeout.
 */
describe.each(storeLegs())('kill -9 while an sqs integration reads on $name', (leg) => {
  const server = new DrillServer({ ...leg.env(), MESSAGE_RETENTION_COUNT: '5000' });
  afterAll(async () => {
    await server.destroy();
    await leg.cleanup();
  });

  it('loses no message and leaves the queue empty', async () => {
    const peer = await startSqsPeer();
    try {
      const queueUrl = await peer.createQueue(`drill-${randomBytes(4).toString('hex')}`, { VisibilityTimeout: String(VISIBILITY_TIMEOUT_SECONDS) });
      await server.start();
      // Named fields: the SDK marks the peer's credentials object with fields of its own ($source).
      const at = await server.integration({ integrationType: 'sqs', sqsConfig: { queueUrl, region: SQS_PEER_REGION, accessKeyId: SQS_PEER_CREDENTIALS.accessKeyId, secretAccessKey: SQS_PEER_CREDENTIALS.secretAccessKey } });

      let killedAfter = 0;
      for (let i = 0; i < TOTAL; i++) {
        if (i !== TOTAL / 2) {
          await peer.send(queueUrl, String(i));
          continue;
        }
        killedAfter = (await server.retained(at)).length;
        // A burst, and the kill while Tributary's polls are taking it: received, not yet retained or deleted.
        await Promise.all(Array.from({ length: BURST }, (_, j) => peer.send(queueUrl, String(i + j))));
        await pause(5);
        expect(await server.stop('SIGKILL')).toBe('SIGKILL');
        i += BURST - 1;
      }
      // Tributary was reading when it died: some messages were retained before, the rest come after the restart.
      expect(killedAfter).toBeGreaterThan(0);
      await server.start();

      const kept = await waitFor(
        async () => {
          const numbers = new Set((await server.retained(at)).map((m) => Number(m.message)));
          return numbers.size === TOTAL ? numbers : undefined;
        },
        'every message in the collection',
        25_000,
        250,
      );
      expect([...kept].sort((a, b) => a - b)).toEqual(Array.from({ length: TOTAL }, (_, i) => i));
      const counts = await waitFor(async () => {
        const now = await peer.counts(queueUrl);
        return now.visible === 0 && now.inFlight === 0 ? now : undefined;
      }, 'the queue to be empty', 10_000, 250);
      expect(counts).toEqual({ visible: 0, inFlight: 0 });
      const items = await server.retained(at);
      expect(items.every((m) => m.topic === queueUrl && typeof m.sourceId === 'string')).toBe(true);
      await server.stop('SIGTERM');
    } finally {
      await peer.close();
    }
  }, 60_000);
});
