import { ValidationError } from '../../errors.js';
import type { MessagePort, MessageScope } from '../../runtime/message-feed.js';
import { parseMessageId } from '../../runtime/messages.js';

export interface ResumePoint {
  /** The position to replay after. */
  readonly pos: number;
  /** Set when messages after the cursor were pruned (or retention is off): said with a `messagesLost` event first. */
  readonly lost: string | undefined;
  /** The newest pruned position that event covers. */
  readonly prunedThrough: number;
}

/**
 * Checks a stream's cursor (`Last-Event-ID`, or `?lastEventId=`; the header
 * wins) against the log. A cursor must be an id this stream could have sent:
 * malformed, unknown, or another integration's is a 400. One older than what
 * is retained resumes from the oldest retained message, with a reason.
 */
export async function resumePoint(port: MessagePort, scope: MessageScope, cursor: string | undefined): Promise<ResumePoint | undefined> {
  if (cursor === undefined) return undefined;
  const pos = parseMessageId(cursor.trim());
  if (pos === undefined) throw new ValidationError('Last-Event-ID must be the id of a message of this stream');
  if (!port.retaining) return { pos, lost: 'Messages are not retained (MESSAGE_RETENTION_COUNT or MESSAGE_RETENTION_SECONDS is 0), so none can be replayed', prunedThrough: 0 };
  const info = await port.cursor(scope, pos);
  if (pos > info.last) throw new ValidationError('Last-Event-ID is not the id of a message of this stream');
  if (scope.integrationId !== null && pos !== 0) {
    if (info.owner !== undefined && info.owner !== scope.integrationId) throw new ValidationError('Last-Event-ID belongs to another integration');
    // Every message of the integration after what was pruned is still kept, so an id past that which is not here was never this integration's.
    if (info.owner === undefined && pos > info.prunedThrough) throw new ValidationError('Last-Event-ID is not the id of a message of this integration');
  }
  const lost = pos < info.prunedThrough ? 'Messages after this id were pruned (see MESSAGE_RETENTION_COUNT and MESSAGE_RETENTION_SECONDS); the stream resumes from the oldest retained message' : undefined;
  return { pos, lost, prunedThrough: info.prunedThrough };
}
