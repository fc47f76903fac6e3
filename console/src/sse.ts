import { authHeaders, errorOf } from './api';

/**
 * Server-Sent Events read with fetch, so the token travels in the
 * Authorization header (EventSource cannot set headers, and a token in a URL
 * ends up in logs and history).
 */

export interface SseEvent {
  readonly event: string;
  readonly data: string;
  readonly id: string | undefined;
}

export interface SseOptions {
  readonly signal: AbortSignal;
  /** Sent as Last-Event-ID, so the server resumes after it. */
  readonly lastEventId?: string | undefined;
  onOpen?(): void;
  onEvent(event: SseEvent): void;
}

/** Parses an event stream fed in chunks of text (the format of the HTML standard). */
export class SseParser {
  private buffer = '';
  private event = '';
  private data: string[] = [];
  private id: string | undefined;

  constructor(private readonly emit: (event: SseEvent) => void) {}

  push(chunk: string): void {
    this.buffer += chunk;
    for (;;) {
      const end = this.buffer.search(/\r\n|\r|\n/);
      if (end < 0) return;
      const line = this.buffer.slice(0, end);
      // A lone \r at the end of a chunk may be half of \r\n: wait for the next chunk.
      if (this.buffer[end] === '\r' && end === this.buffer.length - 1) return;
      this.buffer = this.buffer.slice(end + (this.buffer.startsWith('\r\n', end) ? 2 : 1));
      this.line(line);
    }
  }

  private line(line: string): void {
    if (line === '') {
      if (this.data.length > 0) this.emit({ event: this.event || 'message', data: this.data.join('\n'), id: this.id });
      this.event = '';
      this.data = [];
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.event = value;
    else if (field === 'data') this.data.push(value);
    else if (field === 'id' && !value.includes('\0')) this.id = value;
  }
}

/** Reads one stream until it ends (resolves), fails or is aborted (rejects). */
export async function readSse(path: string, options: SseOptions): Promise<void> {
  const headers: Record<string, string> = { ...authHeaders(), accept: 'text/event-stream' };
  if (options.lastEventId !== undefined) headers['last-event-id'] = options.lastEventId;
  const res = await fetch(path, { headers, signal: options.signal, cache: 'no-store' });
  if (!res.ok || res.body === null) throw await errorOf(res);
  options.onOpen?.();
  const parser = new SseParser((event) => options.onEvent(event));
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    parser.push(value);
  }
}

export const isAbort = (err: unknown): boolean => err instanceof DOMException && err.name === 'AbortError';
