import http from 'node:http';
import { within } from './wait.js';

export interface SseEvent {
  readonly event: string;
  readonly data: string;
  /** The SSE `id:` field, when the event has one. */
  readonly id?: string;
}

export interface SseClient {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly events: SseEvent[];
  readonly comments: string[];
  /** The first event (past or future) matching `match`. */
  next(match: (event: SseEvent) => boolean, timeoutMs?: number): Promise<SseEvent>;
  /** Resolves when the server ends the stream. */
  readonly ended: Promise<void>;
  close(): void;
}

/** A plain HTTP client reading a Server-Sent-Events stream, as any curl -N user would. */
export function openSse(url: string, token: string, headers: Record<string, string> = {}): Promise<SseClient> {
  return new Promise((resolve, reject) => {
    const request = http.get(url, { headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream', ...headers } }, (res) => {
      const events: SseEvent[] = [];
      const comments: string[] = [];
      const waiters = new Set<() => void>();
      let buffer = '';
      let endedResolve: () => void = () => {};
      const ended = new Promise<void>((r) => (endedResolve = r));
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let cut: number;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          let event = 'message';
          let id: string | undefined;
          const data: string[] = [];
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) comments.push(line.slice(1));
            else if (line.startsWith('event: ')) event = line.slice(7);
            else if (line.startsWith('id: ')) id = line.slice(4);
            else if (line.startsWith('data: ')) data.push(line.slice(6));
          }
          if (data.length > 0) events.push({ event, data: data.join('\n'), ...(id !== undefined ? { id } : {}) });
        }
        for (const waiter of waiters) waiter();
      });
      res.on('end', () => endedResolve());
      res.on('close', () => endedResolve());
      resolve({
        status: res.statusCode ?? 0,
        headers: res.headers,
        events,
        comments,
        ended,
        next(match, timeoutMs = 5000) {
          const found = events.find(match);
          if (found) return Promise.resolve(found);
          let waiter = () => {};
          const waiting = new Promise<SseEvent>((r) => {
            waiter = () => {
              const hit = events.find(match);
              if (hit) r(hit);
            };
            waiters.add(waiter);
          });
          return within(waiting, 'a matching SSE event', timeoutMs).finally(() => waiters.delete(waiter));
        },
        close: () => request.destroy(),
      });
    });
    request.on('error', reject);
  });
}
