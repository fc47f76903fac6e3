/** A Particle event as the connector reports it: topic = name, message = `data`, attributes as strings. */
export interface ParsedEvent {
  readonly payload: string;
  readonly attributes?: Record<string, string>;
}

/** The JSON Particle sends as an event's `data:` line. */
interface ParticleEventJson {
  readonly data?: unknown;
  readonly ttl?: unknown;
  readonly published_at?: unknown;
  readonly coreid?: unknown;
}

/**
 * The JSON of an event's `data:` line (`{"data", "ttl", "published_at",
 * "coreid"}`). Something else arrives whole, without attributes.
 */
export function parseEvent(line: string): ParsedEvent {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return { payload: line };
  }
  if (typeof parsed !== 'object' || parsed === null) return { payload: line };
  const event = parsed as ParticleEventJson;
  // Named one by one rather than looped over: one object shape for every event, and no keyed lookups.
  const attributes: Record<string, string> = {};
  if (event.coreid !== undefined && event.coreid !== null) attributes.coreid = text(event.coreid);
  if (event.published_at !== undefined && event.published_at !== null) attributes.published_at = text(event.published_at);
  if (event.ttl !== undefined && event.ttl !== null) attributes.ttl = text(event.ttl);
  return { payload: event.data === undefined || event.data === null ? '' : text(event.data), attributes };
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}
