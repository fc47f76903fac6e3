import { describe, expect, it } from 'vitest';
import type { SseStream } from '../../src/http/sse.js';
import type { MessagePort } from '../../src/runtime/message-feed.js';
import type { MessageRow } from '../../src/store/store.js';
import { StreamSession } from '../../src/resources/integration-messages/stream-session.js';

const row = (pos: number): MessageRow => ({ pos, integrationId: 'i', applicationId: 'a', time: 0, topic: 't', message: String(pos), encoding: null, sourceId: null, attributes: null });

/** A stream that records what it is sent and never pushes back. */
function recorder() {
  const sent: { event: string; id?: number }[] = [];
  const stream = {
    isClosed: false,
    send: (event: string, _data: string, id?: number) => sent.push({ event, ...(id !== undefined ? { id } : {}) }),
    drained: () => Promise.resolve(),
    end: () => {},
  };
  return { stream: stream as unknown as SseStream, sent };
}

/** A log whose pages are scripted: each call answers the next one. */
function scriptedPort(pages: { rows: number[]; prunedThrough: number }[]): MessagePort {
  return {
    retaining: true,
    subscribe: () => () => {},
    cursor: () => Promise.resolve({ owner: undefined, prunedThrough: 0, last: 0 }),
    list: () => Promise.resolve({ items: [], totalCount: 0 }),
    publish: () => Promise.resolve(),
    page: () => {
      const next = pages.shift() ?? { rows: [], prunedThrough: 0 };
      return Promise.resolve({ rows: next.rows.map(row), prunedThrough: next.prunedThrough });
    },
  };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 10));

describe('StreamSession replay', () => {
  it('says messagesLost when the log pruned past the last message sent, and not when the page still holds them', async () => {
    const { stream, sent } = recorder();
    // Page size 2 (SSE buffer 3): first page 11, 12 while the mark is at 12 but not deleted yet (nothing lost);
    // then the mark moved to 30 and the next page starts at 31: 13…30 were pruned.
    const port = scriptedPort([
      { rows: [11, 12], prunedThrough: 12 },
      { rows: [31], prunedThrough: 30 },
    ]);
    new StreamSession(stream, port, { applicationId: 'a', integrationId: 'i' }, 3).start(10);
    await settle();
    expect(sent).toEqual([
      { event: 'integrationMessage', id: 11 },
      { event: 'integrationMessage', id: 12 },
      { event: 'messagesLost' },
      { event: 'integrationMessage', id: 31 },
    ]);
  });

  it('tells of a pruning once, and not again for what an earlier messagesLost covered', async () => {
    const { stream, sent } = recorder();
    const port = scriptedPort([{ rows: [40], prunedThrough: 39 }]);
    new StreamSession(stream, port, { applicationId: 'a', integrationId: 'i' }, 3).start(5, 39);
    await settle();
    expect(sent).toEqual([{ event: 'integrationMessage', id: 40 }]);
  });
});
