import rhea from 'rhea';
import type { Message } from 'rhea';
import type { EventRecord, NewEvent, StoredEvent } from './hubs.js';

/** How Event Hubs events look on the wire, both ways. */

/** The message format of a batch: an envelope whose data sections are each an encoded AMQP message. */
export const BATCH_FORMAT = 0x80013700;
const DATA_SECTION = 0x75;

interface Section {
  readonly typecode: number;
  readonly content: unknown;
  readonly multiple?: boolean;
}

function isSection(value: unknown): value is Section {
  return typeof value === 'object' && value !== null && typeof (value as { typecode?: unknown }).typecode === 'number';
}

/** An event the test appends, encoded as the SDK encodes a body: bytes as they are, anything else as JSON. */
export function recordOf(event: NewEvent): EventRecord {
  const bytes = Buffer.isBuffer(event.body) ? event.body : Buffer.from(JSON.stringify(event.body ?? null), 'utf8');
  return {
    section: rhea.message.data_section(bytes),
    body: decodeBody(bytes),
    size: bytes.length,
    properties: event.properties ?? {},
    partitionKey: event.partitionKey,
    fromClient: false,
  };
}

/**
 * The events one transfer from a client carries: a batch envelope, or a
 * single message. rhea decodes only transfers of message format 0 and hands
 * others over as their bytes.
 */
export function recordsFromClient(transfer: Message | Buffer, format: number | undefined): EventRecord[] {
  const message = Buffer.isBuffer(transfer) ? decode(transfer) : transfer;
  const envelopeKey = partitionKeyOf(message);
  if (format !== BATCH_FORMAT) return [recordFromMessage(message, envelopeKey)];
  const body: unknown = message.body;
  if (!isSection(body) || body.typecode !== DATA_SECTION) return [];
  const parts = body.multiple === true ? (body.content as unknown[]) : [body.content];
  return parts.map((part) => recordFromMessage(decode(part as Buffer), envelopeKey));
}

/** rhea types its decoder's result apart from the Message its events carry; they are the same object. */
function decode(bytes: Buffer): Message {
  return rhea.message.decode(bytes) as unknown as Message;
}

function recordFromMessage(message: Message, envelopeKey: string | undefined): EventRecord {
  const section: unknown = message.body;
  const bytes = isSection(section) && section.typecode === DATA_SECTION ? (section.content as Buffer | null) : undefined;
  return {
    section,
    body: bytes === undefined ? (isSection(section) ? section.content : section) : decodeBody(bytes ?? Buffer.alloc(0)),
    size: bytes?.length ?? Buffer.byteLength(JSON.stringify(isSection(section) ? section.content : section) ?? ''),
    properties: (message.application_properties ?? {}) as Record<string, unknown>,
    partitionKey: partitionKeyOf(message) ?? envelopeKey,
    fromClient: true,
  };
}

function partitionKeyOf(message: Message): string | undefined {
  const key: unknown = message.message_annotations?.['x-opt-partition-key'];
  return typeof key === 'string' ? key : undefined;
}

/** What the SDK's consumer makes of a data section: its JSON when it parses, else the bytes. */
function decodeBody(bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString('utf8')) as unknown;
  } catch {
    return bytes;
  }
}

/** The message a partition receiver gets for a stored event, annotated as the service annotates it. */
export function messageOf(event: StoredEvent): Message {
  const annotations: Record<string, unknown> = {
    'x-opt-sequence-number': rhea.types.wrap_long(event.sequenceNumber),
    'x-opt-offset': event.offset,
    'x-opt-enqueued-time': rhea.types.wrap_timestamp(event.enqueuedTime.getTime()),
  };
  if (event.partitionKey !== undefined) annotations['x-opt-partition-key'] = event.partitionKey;
  return { body: event.section, application_properties: { ...event.properties }, message_annotations: annotations };
}

/** The text of a selector filter, however rhea hands the described value over. */
export function selectorOf(filter: unknown): string | undefined {
  const entry: unknown = (filter as Record<string, unknown> | undefined)?.['apache.org:selector-filter:string'];
  return textOf(entry);
}

function textOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null && 'value' in value) return textOf(value.value);
  return undefined;
}
