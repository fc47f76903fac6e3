/**
 * A Server-Sent-Events client over a raw http.get, as lean as a reader that
 * must keep up with 100,000 events a second can be. It parses the framing
 * the EventSource way (lines end in LF, CRLF or CR; a blank line dispatches;
 * `event:` names the event, `data:` lines join with LF; `:` lines are
 * comments; one space after the colon is dropped) and ignores `id:`/`retry:`.
 */
import http from 'node:http';

export type SseListener = (event: string, data: string) => void;

export interface SseReader {
  /** Resolves once the server answered 200: the stream is subscribed from then on. */
  readonly opened: Promise<void>;
  /** Resolves when the server ends the stream or close() is called. */
  readonly ended: Promise<void>;
  close(): void;
}

export function openSse(url: string, token: string, listener: SseListener): SseReader {
  const parser = new SseParser(listener);
  let resolveEnded: () => void = () => {};
  const ended = new Promise<void>((resolve) => (resolveEnded = resolve));
  let request: http.ClientRequest | undefined;
  const opened = new Promise<void>((resolve, reject) => {
    // agent: false, so the stream has a socket of its own and no pool limit applies.
    request = http.get(url, { agent: false, headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' } }, (response) => {
      response.setEncoding('utf8');
      response.on('close', resolveEnded);
      if (response.statusCode !== 200) {
        let body = '';
        response.on('data', (text: string) => (body += text));
        response.on('end', () => reject(new Error(`GET ${url} answered ${response.statusCode}: ${body.slice(0, 300)}`)));
        return;
      }
      response.on('data', (text: string) => parser.feed(text));
      resolve();
    });
    request.on('error', (err) => {
      reject(err);
      resolveEnded();
    });
  });
  // A caller that only awaits `ended` must not see an unhandled rejection.
  opened.catch(() => {});
  return { opened, ended, close: () => request?.destroy() };
}

export class SseParser {
  private buffer = '';
  private event = '';
  private data: string | undefined;

  constructor(private readonly listener: SseListener) {}

  feed(text: string): void {
    let input = this.buffer + text;
    // Tributary ends lines with LF only; CR handling costs nothing unless a CR shows up.
    if (input.includes('\r')) {
      // A CR at the very end may be the first half of a CRLF split across chunks: keep it for later.
      const held = input.endsWith('\r') ? '\r' : '';
      input = input.slice(0, input.length - held.length).replace(/\r\n?/g, '\n') + held;
    }
    let start = 0;
    for (let end = input.indexOf('\n'); end !== -1; end = input.indexOf('\n', start)) {
      this.line(input.slice(start, end));
      start = end + 1;
    }
    this.buffer = start === 0 ? input : input.slice(start);
  }

  private line(line: string): void {
    if (line === '') {
      if (this.data !== undefined) this.listener(this.event || 'message', this.data);
      this.event = '';
      this.data = undefined;
      return;
    }
    if (line.charCodeAt(0) === 58 /* ':' */) return;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32 /* ' ' */) value = value.slice(1);
    if (field === 'data') this.data = this.data === undefined ? value : `${this.data}\n${value}`;
    else if (field === 'event') this.event = value;
  }
}
