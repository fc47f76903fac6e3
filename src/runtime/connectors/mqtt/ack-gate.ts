import { Duplex } from 'node:stream';

const PUBACK = 4;

/**
 * Sits between mqtt.js and its socket and holds back each PUBACK until the
 * message it acknowledges is retained (SPEC §6). mqtt.js acknowledges a QoS 1
 * message as soon as its handleMessage calls back, and reads nothing further
 * until then; holding the acknowledgement here instead lets it go on reading,
 * so the broker's whole in-flight window is in use while messages wait for
 * their commit, instead of one message per commit.
 *
 * Everything mqtt.js writes passes through at once but the PUBACKs of held
 * messages, which leave in the order the messages arrived (MQTT asks for
 * that) once each is released. A PUBACK never released is never sent: the
 * broker delivers that message again (on the next connection of a persistent
 * session). Reading the outgoing bytes needs only MQTT's framing: a type
 * byte, a variable-length remaining length, then the packet.
 */
export class AckGate extends Duplex {
  readonly #socket: Duplex;
  /** Ids of held messages, in the order they arrived. */
  readonly #order: number[] = [];
  readonly #released = new Set<number>();
  /** PUBACKs mqtt.js wrote for held messages, not sent yet. */
  readonly #frames = new Map<number, Buffer>();
  /** The fixed header being read (type byte and remaining length). */
  #header: number[] = [];
  /** Bytes of the current packet still to pass through untouched. */
  #passing = 0;
  /** A PUBACK being gathered: its bytes so far and how many are missing. */
  #puback: { parts: Buffer[]; missing: number } | undefined;
  /** Reading from the socket is held (the store is catching up); the broker keeps what it sends meanwhile. */
  #held = false;

  constructor(socket: Duplex) {
    super();
    this.#socket = socket;
    socket.on('data', (data: Buffer) => {
      if (!this.push(data)) socket.pause();
    });
    socket.on('end', () => this.push(null));
    socket.on('error', (error) => this.destroy(error));
    socket.on('close', () => this.destroy());
    socket.on('drain', () => this.emit('drain'));
  }

  /** The message `id` is on its way to the store: its PUBACK waits for release(id). */
  hold(id: number): void {
    this.#order.push(id);
  }

  /** The message `id` is retained: its PUBACK may go (after those of the messages before it). */
  release(id: number): void {
    if (this.destroyed || !this.#order.includes(id)) return;
    this.#released.add(id);
    this.#flush();
  }

  /** Stops reading from the socket until resumeReading(); writing (PUBACKs included) goes on. */
  pauseReading(): void {
    this.#held = true;
    this.#socket.pause();
  }

  resumeReading(): void {
    this.#held = false;
    this.#socket.resume();
  }

  override _read(): void {
    if (!this.#held) this.#socket.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    const out: Buffer[] = [];
    let offset = 0;
    while (offset < chunk.length) {
      if (this.#passing > 0) {
        const n = Math.min(this.#passing, chunk.length - offset);
        out.push(chunk.subarray(offset, offset + n));
        this.#passing -= n;
        offset += n;
        continue;
      }
      const gathering = this.#puback;
      if (gathering) {
        const n = Math.min(gathering.missing, chunk.length - offset);
        gathering.parts.push(chunk.subarray(offset, offset + n));
        gathering.missing -= n;
        offset += n;
        if (gathering.missing === 0) {
          this.#puback = undefined;
          const frame = Buffer.concat(gathering.parts);
          if (!this.#gate(frame)) out.push(frame);
        }
        continue;
      }
      this.#header.push(chunk[offset]!);
      offset += 1;
      const remaining = remainingLength(this.#header);
      if (remaining === undefined) continue;
      const header = Buffer.from(this.#header);
      this.#header = [];
      if (header[0]! >> 4 === PUBACK && remaining >= 2) {
        this.#puback = { parts: [header], missing: remaining };
      } else {
        out.push(header);
        this.#passing = remaining;
      }
    }
    if (out.length === 0) return callback();
    if (this.#socket.write(out.length === 1 ? out[0]! : Buffer.concat(out))) callback();
    else this.#socket.once('drain', () => callback());
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.#socket.end(callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#socket.destroy();
    callback(error);
  }

  /** Keeps a held message's PUBACK for later; false when it is not one of ours to hold. */
  #gate(frame: Buffer): boolean {
    const id = frame.readUInt16BE(headerLength(frame));
    if (!this.#order.includes(id) || this.#frames.has(id)) return false;
    this.#frames.set(id, frame);
    this.#flush();
    return true;
  }

  #flush(): void {
    const ready: Buffer[] = [];
    while (this.#order.length > 0) {
      const id = this.#order[0]!;
      const frame = this.#frames.get(id);
      if (frame === undefined || !this.#released.has(id)) break;
      this.#order.shift();
      this.#frames.delete(id);
      this.#released.delete(id);
      ready.push(frame);
    }
    if (ready.length > 0 && !this.#socket.destroyed) this.#socket.write(ready.length === 1 ? ready[0]! : Buffer.concat(ready));
  }
}

/** The remaining length a complete fixed header announces; undefined while its bytes are still coming. */
function remainingLength(header: readonly number[]): number | undefined {
  let value = 0;
  for (let i = 1; i < header.length; i++) {
    value += (header[i]! & 0x7f) * 128 ** (i - 1);
    if ((header[i]! & 0x80) === 0) return value;
    if (i === 4) return value;
  }
  return undefined;
}

/** The length of a frame's fixed header: where its packet id starts. */
function headerLength(frame: Buffer): number {
  let i = 1;
  while (i < 4 && (frame[i]! & 0x80) !== 0) i++;
  return i + 1;
}
