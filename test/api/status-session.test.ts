import { describe, expect, it } from 'vitest';
import { DomainEvents } from '../../src/events.js';
import type { SseStream } from '../../src/http/sse.js';
import { StatusSession } from '../../src/resources/integration-status/session.js';
import { StatusFeed } from '../../src/runtime/status-feed.js';

/** The two calls a session makes on its stream, recorded. */
function fakeStream() {
  const sent: string[] = [];
  let ended: string | undefined;
  const stream = { send: (_event: string, data: string) => sent.push(data), end: (reason: string) => (ended = reason) };
  return { stream: stream as unknown as SseStream, sent, ended: () => ended };
}

describe('StatusSession: what happens while the store is read', () => {
  it('shows each integration once with its newest status, including one created meanwhile, and not one deleted meanwhile', () => {
    const events = new DomainEvents();
    const feed = new StatusFeed(events);
    const session = new StatusSession(feed);
    feed.subscribe('app', session);
    feed.remember('app', ['kept', 'deleted']);
    // While the store is read: a change, a creation, a deletion.
    feed.publish('kept', { lastKeepAlive: 2 });
    events.emit('integrationCreated', { id: 'new', applicationId: 'app', name: 'n', integrationType: 'mqtt', enabled: false, topics: [], config: {}, status: {} });
    events.emit('integrationDeleted', { id: 'deleted', applicationId: 'app' });
    const fake = fakeStream();
    session.open(
      fake.stream,
      new Map([
        ['kept', { enabled: true, status: { lastKeepAlive: 1, state: 'connected' as const } }],
        ['deleted', { enabled: true, status: {} }],
      ]),
    );
    // Shown as GET shows them: a status without a state gets the one the API gives it.
    expect(fake.sent).toEqual([
      JSON.stringify({ integrationId: 'kept', status: { lastKeepAlive: 2, state: 'connecting' } }),
      JSON.stringify({ integrationId: 'new', status: { state: 'disabled' } }),
    ]);
    // Then live.
    feed.publish('kept', { lastKeepAlive: 3 });
    expect(fake.sent.at(-1)).toBe(JSON.stringify({ integrationId: 'kept', status: { lastKeepAlive: 3 } }));
  });

  it('ends at once when the application was deleted while the store was read', () => {
    const events = new DomainEvents();
    const feed = new StatusFeed(events);
    const session = new StatusSession(feed);
    feed.subscribe('app', session);
    events.emit('applicationDeleted', { id: 'app', integrationIds: [] });
    const fake = fakeStream();
    session.open(fake.stream, new Map());
    expect(fake.ended()).toBe('The application was deleted');
  });
});
