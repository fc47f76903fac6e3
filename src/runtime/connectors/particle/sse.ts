/**
 * The part of the EventSource framing (WHATWG HTML §9.2.6) a Particle stream
 * uses: `event:` and `data:` fields, comments (Particle's `:ok` keep-alives)
 * and blank lines that dispatch. Our own few lines rather than an EventSource
 * client: those reconnect by themselves and hide the HTTP status and body of a
 * refusal, and both are what the supervisor needs (no retries, the service's words).
 */
export class SseParser {
  /** The start of a line whose end has not arrived yet. */
  #buffer = '';
  #event = '';
  #data: string | undefined;
  readonly #dispatch: (event: string, data: string) => void;

  constructor(dispatch: (event: string, data: string) => void) {
    this.#dispatch = dispatch;
  }

  /**
   * Lines end in LF, CRLF or CR. Each line is read where it lies in the
   * chunk (no copy of the rest per line): a socket read carries many events.
   */
  push(chunk: string): void {
    const text = this.#buffer === '' ? chunk : this.#buffer + chunk;
    let start = 0;
    // Particle ends lines with LF; a CR is looked for again only after the last one found.
    let cr = text.indexOf('\r');
    for (;;) {
      const lf = text.indexOf('\n', start);
      if (cr !== -1 && cr < start) cr = text.indexOf('\r', start);
      if (cr !== -1 && (lf === -1 || cr < lf)) {
        // A lone CR at the very end may be half of a CRLF still on its way.
        if (cr === text.length - 1) break;
        this.#line(text, start, cr);
        start = cr + (text.charCodeAt(cr + 1) === 10 ? 2 : 1);
        continue;
      }
      if (lf === -1) break;
      this.#line(text, start, lf);
      start = lf + 1;
    }
    this.#buffer = start === 0 ? text : text.slice(start);
  }

  /** The line text[start, end). */
  #line(text: string, start: number, end: number): void {
    if (start === end) {
      if (this.#data !== undefined) this.#dispatch(this.#event || 'message', this.#data);
      this.#event = '';
      this.#data = undefined;
      return;
    }
    if (text.charCodeAt(start) === 58 /* ':' */) return;
    let colon = text.indexOf(':', start);
    if (colon === -1 || colon > end) colon = end;
    let from = colon + 1;
    if (from < end && text.charCodeAt(from) === 32 /* ' ' */) from++;
    const value = from < end ? text.slice(from, end) : '';
    const fieldLength = colon - start;
    if (fieldLength === 4 && text.startsWith('data', start)) this.#data = this.#data === undefined ? value : `${this.#data}\n${value}`;
    else if (fieldLength === 5 && text.startsWith('event', start)) this.#event = value;
  }
}
