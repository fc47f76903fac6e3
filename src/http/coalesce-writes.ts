import type { Server } from 'node:http';
import type { Socket } from 'node:net';

type Callback = (error?: Error | null) => void;
interface Chunk {
  readonly chunk: Buffer | string;
  readonly encoding: BufferEncoding;
}

/** The stream-implementation methods of net.Socket that the coalescer stands in front of. */
interface SocketInternals {
  _write(chunk: Buffer | string, encoding: BufferEncoding, callback: Callback): void;
  _writev(chunks: Chunk[], callback: Callback): void;
  _final(callback: Callback): void;
}

/**
 * One write syscall per connection for the answers one event produces. Node
 * writes each HTTP response on its own (a pipelined response waits for the
 * previous one's write to complete, and `end()` forcibly uncorks the socket),
 * so ten pipelined answers ready together cost ten syscalls, each dearer than
 * building the answer. Here writes are gathered and handed to the socket
 * together as soon as the event that produced them has been handled: once a
 * tick passes without another write on the connection (the next pipelined
 * response follows its predecessor a tick later). Waiting for the end of the
 * event-loop turn instead would hold every answer back behind the rest of the
 * turn's work (under load, hundreds of requests being parsed), and the client
 * with it.
 *
 * A gathered write is acknowledged at once while the bytes waiting stay under
 * the socket's high-water mark, so the next pipelined response can follow in
 * the same turn; past it, everything waiting is written at once and the
 * acknowledgement waits for that write, so large answers are not held back
 * and a slow reader still pushes back (SSE relies on that). A failed real write destroys
 * the socket, as losing the connection does to bytes in the kernel's buffer.
 */
export function registerWriteCoalescing(server: Server): void {
  server.on('connection', (socket: Socket) => coalesce(socket));
}

function coalesce(socket: Socket): void {
  const internals = socket as unknown as SocketInternals;
  const writev = internals._writev.bind(socket);
  const final = internals._final.bind(socket);
  const limit = socket.writableHighWaterMark;

  let pending: Chunk[] = [];
  let pendingBytes = 0;
  let held: Callback[] = [];
  let writing = false;
  /** A settle loop is queued; at most one per connection, however often the size rule flushes meanwhile. */
  let scheduled = false;
  /** Whether a write arrived since the last look; while they keep coming, the flush waits another tick. */
  let gathered = false;
  let finishing: Callback | undefined;

  const flushWhenSettled = () => {
    if (gathered) {
      gathered = false;
      process.nextTick(flushWhenSettled);
      return;
    }
    scheduled = false;
    flush();
  };

  const flush = () => {
    if (writing || pending.length === 0) return finishIfDone();
    const chunks = pending;
    const callbacks = held;
    pending = [];
    pendingBytes = 0;
    held = [];
    writing = true;
    writev(chunks, (error) => {
      writing = false;
      if (error) {
        for (const callback of callbacks) callback(error);
        socket.destroy(error);
        return;
      }
      for (const callback of callbacks) callback();
      flush();
    });
  };

  const finishIfDone = () => {
    if (!finishing || writing || pending.length > 0) return;
    const callback = finishing;
    finishing = undefined;
    final(callback);
  };

  const gather = (chunks: readonly Chunk[], callback: Callback) => {
    gathered = true;
    for (const chunk of chunks) {
      pending.push(chunk);
      pendingBytes += typeof chunk.chunk === 'string' ? Buffer.byteLength(chunk.chunk, chunk.encoding) : chunk.chunk.length;
    }
    if (pendingBytes > limit) {
      // Enough for a write of its own: it goes now, and the writer hears back once it has.
      held.push(callback);
      flush();
      return;
    }
    if (!scheduled) {
      scheduled = true;
      process.nextTick(flushWhenSettled);
    }
    callback();
  };

  internals._write = (chunk, encoding, callback) => gather([{ chunk, encoding }], callback);
  internals._writev = (chunks, callback) => gather(chunks, callback);
  internals._final = (callback) => {
    finishing = callback;
    flush();
  };
}
