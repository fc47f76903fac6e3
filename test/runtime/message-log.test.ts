import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { MessageBus } from '../../src/runtime/message-bus.js';
import { MessageLog } from '../../src/runtime/message-log.js';
import type { NewMessage, Store } from '../../src/store/store.js';
import { ManualClock } from '../support/manual-clock.js';

/** A store whose appends wait until the test lets them through. */
function slowStore() {
  const waiting: (() => void)[] = [];
  let next = 0;
  const store = {
    messages: {
      append: (rows: readonly NewMessage[]) =>
        new Promise<number[]>((resolve) => waiting.push(() => resolve(rows.map(() => ++next)))),
      keepNewest: () => Promise.resolve(),
      pruneBefore: () => Promise.resolve(),
    },
  } as unknown as Store;
  return { store, release: () => waiting.splice(0).forEach((go) => go()) };
}

const message = (n: number) => ({ integrationId: 'i', applicationId: 'a', time: 0, topic: 't', payload: String(n), binary: false });
const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('MessageLog backpressure', () => {
  it('asks the sources to stop reading when the store falls behind, and to go on once it caught up, refusing nothing', async () => {
    const { store, release } = slowStore();
    const log = new MessageLog(store, new MessageBus(), { count: 1000, seconds: 3600 }, new ManualClock(), pino({ level: 'silent' }));
    const told: boolean[] = [];
    log.onCongestion((congested) => told.push(congested));
    for (let i = 0; i < 30_000; i++) log.append(message(i));
    expect(told).toEqual([true]);
    // The store takes them in batches; once fewer than a few thousand wait, reading goes on.
    for (let round = 0; round < 20 && told.length < 2; round++) {
      await turn();
      release();
      await turn();
    }
    expect(told).toEqual([true, false]);
  });
});
