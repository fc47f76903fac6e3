import { describeSocketError, describeUnknownError } from '../socket-reasons.js';
import { LINK_CLOSED } from './reasons.js';

/**
 * The SDK keeps its AMQP connection to itself and, when the connection
 * drops, quietly opens a new one on the next operation: an internal retry the
 * contract forbids, and a lost link the supervisor would never hear of. So we
 * listen to rhea-promise's `disconnected` on the connection the client holds
 * in its (private, as of @azure/event-hubs 6.0.4) `_context`. Should a later
 * SDK move it, nothing is watched and the keepalive probe still notices the
 * loss, later; the connector's tests for "the peer dropped the link" then fail.
 */
interface Emitter {
  on(event: string, listener: (context: unknown) => void): unknown;
  removeListener(event: string, listener: (context: unknown) => void): unknown;
}

/** Calls `lost(reason)` when the client's current connection drops; returns the unwatch. */
export function watchConnection(client: object, lost: (reason: string) => void): () => void {
  const connection = (client as { _context?: { connection?: Partial<Emitter> } })._context?.connection;
  if (typeof connection?.on !== 'function' || typeof connection.removeListener !== 'function') return () => {};
  const emitter = connection as Emitter;
  const listener = (context: unknown) => lost(reasonOf(context));
  emitter.on('disconnected', listener);
  return () => emitter.removeListener('disconnected', listener);
}

interface DisconnectContext {
  error?: unknown;
  connection?: { error?: unknown };
}

/** The socket error (ECONNRESET…) or the AMQP close error the peer gave, else a plain sentence. */
function reasonOf(context: unknown): string {
  const { error, connection } = (context ?? {}) as DisconnectContext;
  for (const candidate of [error, connection?.error]) {
    if (candidate instanceof Error && candidate.message !== '') return describeSocketError(candidate, 'server') ?? describeUnknownError(candidate);
    const description = (candidate as { description?: unknown } | undefined)?.description;
    if (typeof description === 'string' && description !== '') return description;
  }
  return LINK_CLOSED;
}
