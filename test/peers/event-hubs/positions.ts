import type { Partition } from './hubs.js';

/**
 * The selector filter a receiver attaches with
 * (`apache.org:selector-filter:string`), read into the index of the first
 * event to deliver. The SDK writes one of:
 *   amqp.annotation.x-opt-offset > '<offset>'            (>= when inclusive; '-1' = start, '@latest' = end)
 *   amqp.annotation.x-opt-sequence-number > '<n>'        (>= when inclusive)
 *   amqp.annotation.x-opt-enqueued-time > '<ms>'
 * Returns a description of the problem for anything else (the service
 * detaches with amqp:invalid-field / a FilterException then).
 */
export function firstIndex(filter: string | undefined, partition: Partition): number | string {
  if (filter === undefined) return partition.events.length;
  const match = /^\s*amqp\.annotation\.x-opt-(offset|sequence-number|enqueued-time)\s*(>=|>)\s*'?([^']*)'?\s*$/i.exec(filter);
  if (match === null) return `The filter expression '${filter}' is not supported.`;
  const field = match[1]!.toLowerCase();
  const inclusive = match[2] === '>=';
  const value = match[3]!;
  const events = partition.events;
  if (field === 'offset') {
    if (value === '@latest') return events.length;
    const offset = Number(value);
    if (!Number.isFinite(offset)) return `The offset '${value}' is not valid.`;
    if (offset < 0) return 0;
    const at = events.findIndex((event) => (inclusive ? Number(event.offset) >= offset : Number(event.offset) > offset));
    return at === -1 ? events.length : at;
  }
  if (field === 'sequence-number') {
    const sequenceNumber = Number(value);
    if (!Number.isInteger(sequenceNumber)) return `The sequence number '${value}' is not valid.`;
    if (sequenceNumber > partition.lastSequenceNumber + (inclusive ? 1 : 0)) {
      return `The supplied sequence number '${sequenceNumber}' is invalid. The last sequence number in the system is '${partition.lastSequenceNumber}'`;
    }
    return Math.max(0, inclusive ? sequenceNumber : sequenceNumber + 1);
  }
  const time = Number(value);
  if (!Number.isFinite(time)) return `The enqueued time '${value}' is not valid.`;
  const at = events.findIndex((event) => event.enqueuedTime.getTime() > time);
  return at === -1 ? events.length : at;
}
