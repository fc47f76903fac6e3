import type { ConnectorEvents, ReceivedMessage } from '../../src/runtime/connector.js';

/**
 * Wraps ConnectorEvents (a recorder's, which acknowledges at once as a
 * supervisor with retention off would) so that the test holds every
 * message's ack instead: `held` has the messages as the connector gave them,
 * the wrapped events get them without `ack`.
 */
export function holdAcks(events: ConnectorEvents): { events: ConnectorEvents; held: ReceivedMessage[] } {
  const held: ReceivedMessage[] = [];
  return {
    held,
    events: {
      ...events,
      message(message) {
        held.push(message);
        const { ack: _ack, ...rest } = message;
        events.message(rest);
      },
    },
  };
}
