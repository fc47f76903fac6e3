import { describe, expect, it } from 'vitest';
import type { IntegrationSpec } from '../../src/domain/integration-spec.js';
import type { IntegrationStatus } from '../../src/domain/integration-status.js';
import { DomainEvents } from '../../src/events.js';
import { StatusFeed, type StatusListener } from '../../src/runtime/status-feed.js';

const spec = (id: string, applicationId: string, status: IntegrationStatus = {}): IntegrationSpec => ({
  id,
  applicationId,
  name: id,
  integrationType: 'mqtt',
  enabled: true,
  topics: [],
  config: {},
  status,
});

function recorder() {
  const heard: string[] = [];
  const listener: StatusListener = {
    status: (id, status) => heard.push(`${id} ${JSON.stringify(status)}`),
    removed: (id) => heard.push(`${id} removed`),
    ended: (reason) => heard.push(`ended: ${reason}`),
  };
  return { heard, listener };
}

describe('StatusFeed', () => {
  it("pushes a status to the listeners of the integration's application only", () => {
    const events = new DomainEvents();
    const feed = new StatusFeed(events);
    const a = recorder();
    const b = recorder();
    feed.subscribe('app-a', a.listener);
    feed.subscribe('app-b', b.listener);
    events.emit('integrationCreated', spec('i1', 'app-a'));
    feed.publish('i1', { connectInfo: { ts: 1 } });
    expect(a.heard).toEqual(['i1 {}', 'i1 {"connectInfo":{"ts":1}}']);
    expect(b.heard).toEqual([]);
    expect(feed.latest('i1')).toEqual({ connectInfo: { ts: 1 } });
  });

  it('learns the application of integrations linked before anyone listened from remember()', () => {
    const feed = new StatusFeed(new DomainEvents());
    const a = recorder();
    feed.subscribe('app-a', a.listener);
    feed.publish('old', { lastKeepAlive: 1 });
    expect(a.heard).toEqual([]);
    expect(feed.latest('old')).toEqual({ lastKeepAlive: 1 });
    feed.remember('app-a', ['old']);
    feed.publish('old', { lastKeepAlive: 2 });
    expect(a.heard).toEqual(['old {"lastKeepAlive":2}']);
  });

  it('forgets a deleted integration, ends the listeners of a deleted application, and stops on close', () => {
    const events = new DomainEvents();
    const feed = new StatusFeed(events);
    const a = recorder();
    const unsubscribe = feed.subscribe('app-a', a.listener);
    events.emit('integrationCreated', spec('i1', 'app-a'));
    events.emit('integrationDeleted', { id: 'i1', applicationId: 'app-a' });
    expect(feed.latest('i1')).toBeUndefined();
    feed.publish('i1', { lastKeepAlive: 3 });
    expect(a.heard).toEqual(['i1 {}', 'i1 removed']);

    events.emit('applicationDeleted', { id: 'app-a', integrationIds: [] });
    expect(a.heard.at(-1)).toBe('ended: The application was deleted');
    unsubscribe();

    const b = recorder();
    feed.subscribe('app-b', b.listener);
    feed.close('stopping');
    expect(b.heard).toEqual(['ended: stopping']);
    events.emit('integrationCreated', spec('i2', 'app-b'));
    expect(b.heard).toEqual(['ended: stopping']);
  });

  it('takes the changes of other nodes through publishRemote', () => {
    const feed = new StatusFeed(new DomainEvents());
    const a = recorder();
    feed.subscribe('app-a', a.listener);
    feed.publishRemote({ integrationId: 'far', applicationId: 'app-a', status: { node: 'n2' } });
    expect(a.heard).toEqual(['far {"node":"n2"}']);
  });

  it("shows nothing more of a deleted integration, not even a status another node wrote before the delete", () => {
    const events = new DomainEvents();
    const feed = new StatusFeed(events);
    const { heard, listener } = recorder();
    feed.subscribe('app1', listener);
    events.emit('integrationCreated', spec('i1', 'app1'));
    heard.length = 0;
    events.emit('integrationDeleted', { id: 'i1', applicationId: 'app1' });
    feed.publishRemote({ integrationId: 'i1', applicationId: 'app1', status: { state: 'connected', node: 'other' } });
    feed.publish('i1', { state: 'connecting' });
    expect(heard).toEqual(['i1 removed']);
  });
});
