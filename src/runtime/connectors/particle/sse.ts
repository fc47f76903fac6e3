/**
 * The part of the EventSource framing (WHATWG HTML §9.2.6) a Particle stream
 * uses: `event:` and `data:` fields, comments (Particle's `:ok` keep-alives)
 * and blank lines that dispatch. Our own few lines rather than an EventSource
 * client: those reconnect by themselves and hide the HTTP status and body of a
 * refusal, and both are what the supervisor needs (no retries, the service's words).
 */
export class SseParser {
  #buffer = '';
  #event = '';
  #data: string[] = [];
  readonly #dispatch: (event: string, data: string) => void;

  constructor(dispatch: (event: string, data: string) => void) {
    this.#dispatch = dispatch;
  }

  push(chunk: string): void {
    this.#buffer += chunk;
    let end: number;
    while ((end = this.#buffer.search(/\r\n|\r|\n/)) !== -1) {
      const line = this.#buffer.slice(0, end);
      // A lone \r at the very end may be half of a \r\n still on its way.
      if (this.#buffer[end] === '\r' && end === this.#buffer.length - 1) break;
      this.#buffer = this.#buffer.slice(end + (this.#buffer.startsWith('\r\n', end) ? 2 : 1));
      this.#line(line);
    }
  }

  #line(line: string): void {
    if (line === '') {
      if (this.#data.length > 0) this.#dispatch(this.#event || 'message', this.#data.join('\n'));
      this.#event = '';
      this.#data = [];
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.#event = value;
    else if (field === 'data') this.#data.push(value);
  }
}
