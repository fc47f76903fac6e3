import { authHeaders, errorOf } from './api';
import { SseParser, type SseEvent } from './sse-parser';

export type { SseEvent } from './sse-parser';

/**
 * Server-Sent Events read with fetch, so the token travels in the
 * Authorization header (EventSource cannot set headers, and a token in a URL
 * ends up in logs and history).
 */

export interface SseOptions {
  readonly signal: AbortSignal;
  /** Sent as Last-Event-ID, so the server resumes after it. */
  readonly lastEventId?: string | undefined;
  onOpen?(): void;
  onEvent(event: SseEvent): void;
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
