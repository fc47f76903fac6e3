/** A Particle event as the connector reports it: topic = name, message = `data`, attributes as strings. */
export interface ParsedEvent {
  readonly payload: string;
  readonly attributes?: Record<string, string>;
}

const ATTRIBUTES = ['coreid', 'published_at', 'ttl'] as const;

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
  const event = parsed as Record<string, unknown>;
  const attributes: Record<string, string> = {};
  for (const name of ATTRIBUTES) {
    if (event[name] !== undefined && event[name] !== null) attributes[name] = text(event[name]);
  }
  return { payload: event.data === undefined || event.data === null ? '' : text(event.data), attributes };
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}
