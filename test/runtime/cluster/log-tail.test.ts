import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { LogTail } from '../../../src/runtime/cluster/log-tail.js';
import { MessageBus, type MessageSubscriber } from '../../../src/runtime/message-bus.js';
import type { MessageRow } from '../../../src/store/store.js';

const APP = 'app1';

function row(pos: number): MessageRow {
  return { pos, applicationId: APP, integrationId: 'int1', time: 0, topic: 't', message: String(pos), encoding: null, sourceId: null, attributes: null };
}

/** An application's log as the tail reads it: rows, the newest pruned position, and reads that can be held back. */
function fakeLog() {
  const log = { rows: [] as MessageRow[], prunedThrough: 0, reads: 0, gate: undefined as Promise<void> | undefined };
  const page = async (_app: string, _integration: string | null, after: number, limit: number) => {
    log.reads += 1;
    const rows = log.rows.filter((r) => r.pos > after).slice(0, limit);
    const prunedThrough = log.prunedThrough;
    if (log.gate) await log.gate;
    return { rows, prunedThrough };
  };
  return { log, page };
}

function recorder(): MessageSubscriber & { seen: (number | 'resync')[] } {
  const seen: (number | 'resync')[] = [];
  return { seen, deliver: (pos) => void seen.push(pos), end: () => {}, resync: () => void seen.push('resync') };
}

/** A tail over a fake log, handing on to a bus of its own. */
function setup() {
  const { log, page } = fakeLog();
  const bus = new MessageBus();
  return { log, bus, tail: new LogTail({ page }, bus, pino({ level: 'silent' })) };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 10));

describe('LogTail', () => {
  it('hands what each announced commit added to the bus, in position order, from where the first reader stands', async () => {
    const { log, bus, tail } = setup();
    log.rows.push(row(1), row(2));
    const reader = recorder();
    bus.subscribeApplication(APP, reader);
    tail.follow(APP, 2);
    log.rows.push(row(3), row(5));
    tail.committed(APP, 5);
    await settle();
    expect(reader.seen).toEqual([3, 5]);
    // An announcement it has already read past costs nothing.
    const reads = log.reads;
    tail.committed(APP, 4);
    await settle();
    expect(log.reads).toBe(reads);
  });

  it('does not lose a commit announced while a page was being read', async () => {
    const { log, bus, tail } = setup();
    const reader = recorder();
    bus.subscribeApplication(APP, reader);
    tail.follow(APP, 0);
    let open!: () => void;
    log.gate = new Promise<void>((resolve) => (open = resolve));
    log.rows.push(row(1));
    tail.committed(APP, 1);
    await settle();
    // Committed after the page above was read, announced before it came back.
    log.rows.push(row(2));
    tail.committed(APP, 2);
    log.gate = undefined;
    open();
    await settle();
    expect(reader.seen).toEqual([1, 2]);
  });

  it('tells its readers to catch up from the log before handing on what follows messages pruned unread', async () => {
    const { log, bus, tail } = setup();
    const reader = recorder();
    bus.subscribeIntegration('int1', APP, reader);
    tail.follow(APP, 0);
    log.rows.push(row(1));
    tail.committed(APP, 1);
    await settle();
    // 2..7 committed and pruned before the tail read them.
    log.rows.push(row(8), row(9));
    log.prunedThrough = 7;
    tail.committed(APP, 9);
    await settle();
    expect(reader.seen).toEqual([1, 'resync', 8, 9]);
  });

  it('reads to the end after the change feed was down, and stops following an application nobody reads', async () => {
    const { log, bus, tail } = setup();
    const reader = recorder();
    const unsubscribe = bus.subscribeApplication(APP, reader);
    tail.follow(APP, 0);
    log.rows.push(row(1), row(2));
    tail.reset();
    await settle();
    expect(reader.seen).toEqual([1, 2]);
    unsubscribe();
    log.rows.push(row(3));
    const reads = log.reads;
    tail.committed(APP, 3);
    await settle();
    expect(log.reads).toBe(reads);
  });
});

describe('LogTail with messages this node committed', () => {
  it('passes them on without reading them back when they follow on, and reads the log when another node committed in between', async () => {
    const { log, bus, tail } = setup();
    const reader = recorder();
    bus.subscribeApplication(APP, reader);
    tail.follow(APP, 0);
    log.rows.push(row(1), row(2));
    tail.publish(row(1));
    tail.publish(row(2));
    // Its own commit announced on the change feed: nothing to read.
    tail.committed(APP, 2);
    await settle();
    expect(reader.seen).toEqual([1, 2]);
    expect(log.reads).toBe(0);
    // 3 came from another node; this node's 4 must wait for it.
    log.rows.push(row(3), row(4));
    tail.publish(row(4));
    await settle();
    expect(reader.seen).toEqual([1, 2, 3, 4]);
    expect(log.reads).toBeGreaterThan(0);
  });
});
