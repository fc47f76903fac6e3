import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { MessageBus } from '../../src/runtime/message-bus.js';
import { MessageLog } from '../../src/runtime/message-log.js';
import type { NewMessage, Store } from '../../src/store/store.js';
import { ManualClock } from '../support/manual-clock.js';

/** A store whose appends wait until the test lets them through; `commits` are the batches it was given. */
function slowStore() {
  const waiting: (() => void)[] = [];
  const commits: string[][] = [];
  let next = 0;
  const store = {
    messages: {
      append: (rows: readonly NewMessage[]) => {
        commits.push(rows.map((row) => row.message));
        return new Promise<number[]>((resolve) => waiting.push(() => resolve(rows.map(() => ++next))));
      },
      keepNewest: () => Promise.resolve(),
      pruneBefore: () => Promise.resolve(),
    },
  } as unknown as Store;
  return { store, commits, release: () => waiting.splice(0).forEach((go) => go()) };
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

describe('MessageLog batching', () => {
  const silent = pino({ level: 'silent' });

  function setUp() {
    const { store, commits, release } = slowStore();
    const clock = new ManualClock();
    const bus = new MessageBus();
    const log = new MessageLog(store, bus, { count: 1000, seconds: 3600 }, clock, silent);
    const streamed: [number, string][] = [];
    bus.subscribeIntegration('i', 'a', { deliver: (pos, data) => streamed.push([pos, (JSON.parse(data) as { message: string }).message]), end: () => {} });
    const acked: string[] = [];
    const append = (n: number) => log.append({ ...message(n), ack: () => acked.push(String(n)) });
    return { log, clock, commits, release, streamed, acked, append };
  }

  it('commits a message after a quiet spell at once', async () => {
    const { clock, commits, release, acked, append } = setUp();
    append(1);
    await turn();
    expect(commits).toEqual([['1']]);
    release();
    await turn();
    clock.advance(50);
    append(2);
    await turn();
    expect(commits).toEqual([['1'], ['2']]);
    release();
    await turn();
    expect(acked).toEqual(['1', '2']);
  });

  it('gathers a trickle arriving right after a commit into one commit, acknowledged and streamed in order only once it is committed', async () => {
    const { clock, commits, release, streamed, acked, append } = setUp();
    append(1);
    await turn();
    release();
    await turn();
    // Messages keep coming one per turn, as from socket reads of one event each: they wait for the moment to pass.
    for (let n = 2; n <= 6; n++) {
      append(n);
      await turn();
    }
    expect(commits).toEqual([['1']]);
    expect(acked).toEqual(['1']);
    clock.advance(2);
    await turn();
    expect(commits).toEqual([['1'], ['2', '3', '4', '5', '6']]);
    expect(acked).toEqual(['1']);
    release();
    await turn();
    expect(acked).toEqual(['1', '2', '3', '4', '5', '6']);
    expect(streamed).toEqual([1, 2, 3, 4, 5, 6].map((n) => [n, String(n)]));
  });

  it('does not wait once a commit worth making is waiting', async () => {
    const { commits, release, append } = setUp();
    append(0);
    await turn();
    release();
    await turn();
    for (let n = 1; n <= 200; n++) append(n);
    await turn();
    expect(commits.map((c) => c.length)).toEqual([1, 200]);
  });

  it('commits what is waiting for the moment to pass when stopped', async () => {
    const { log, commits, release, acked, append } = setUp();
    append(1);
    await turn();
    release();
    await turn();
    append(2);
    await turn();
    expect(commits).toEqual([['1']]);
    const stopped = log.stop();
    await turn();
    release();
    await stopped;
    expect(commits).toEqual([['1'], ['2']]);
    expect(acked).toEqual(['1', '2']);
  });
});
