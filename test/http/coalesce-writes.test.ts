import net from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { registerWriteCoalescing } from '../../src/http/coalesce-writes.js';

interface Counted {
  writes: number;
}

let writesSeenByLaterWork: number | undefined;

/** A server whose sockets count the writes that reach them, under the coalescer. */
async function start(): Promise<{ app: FastifyInstance; port: number; counted: Counted[] }> {
  const app = Fastify();
  const counted: Counted[] = [];
  // Registered first, so the coalescer stands in front of these counters.
  app.server.on('connection', (socket: net.Socket) => {
    const count: Counted = { writes: 0 };
    counted.push(count);
    const internals = socket as unknown as Record<'_write' | '_writev', (...args: unknown[]) => void>;
    for (const method of ['_write', '_writev'] as const) {
      const original = internals[method].bind(socket);
      internals[method] = (...args: unknown[]) => {
        count.writes += 1;
        original(...args);
      };
    }
  });
  registerWriteCoalescing(app.server);
  app.get<{ Params: { n: string } }>('/small/:n', async (request) => ({ n: Number(request.params.n) }));
  app.get('/big', async () => ({ text: 'x'.repeat(100_000) }));
  // Answers in one immediate; the next immediate of the same turn stands for the rest of the turn's work.
  app.get('/then-work', () => {
    return new Promise((resolve) => {
      setImmediate(() => resolve({ ok: true }));
      setImmediate(() => {
        writesSeenByLaterWork = counted.reduce((sum, c) => sum + c.writes, 0);
      });
    });
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  return { app, port: (app.server.address() as net.AddressInfo).port, counted };
}

/** Sends the requests in one TCP write and reads until the server closes the connection. */
function pipeline(port: number, paths: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    const requests = paths.map((path, i) => `GET ${path} HTTP/1.1\r\nHost: x\r\n${i === paths.length - 1 ? 'Connection: close\r\n' : ''}\r\n`);
    socket.write(requests.join(''));
  });
}

function bodies(raw: string): unknown[] {
  const out: unknown[] = [];
  let rest = raw;
  while (rest.length > 0) {
    const head = rest.indexOf('\r\n\r\n');
    const length = Number(/content-length: (\d+)/i.exec(rest.slice(0, head))![1]);
    out.push(JSON.parse(rest.slice(head + 4, head + 4 + length)));
    rest = rest.slice(head + 4 + length);
  }
  return out;
}

describe('write coalescing', () => {
  let app: FastifyInstance | undefined;
  afterEach(async () => {
    await app?.close();
  });

  it('answers pipelined requests in order, in far fewer writes than answers', async () => {
    const started = await start();
    app = started.app;
    const paths = Array.from({ length: 20 }, (_, i) => `/small/${i}`);
    const answers = bodies(await pipeline(started.port, paths));
    expect(answers).toEqual(paths.map((_, i) => ({ n: i })));
    expect(started.counted[0]!.writes).toBeLessThanOrEqual(4);
  });

  it('hands an answer to the socket once the event that produced it is handled, not at the end of the turn', async () => {
    const started = await start();
    app = started.app;
    writesSeenByLaterWork = undefined;
    // Kept alive: closing the connection after the answer would flush it anyway.
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(started.port, '127.0.0.1');
      socket.on('error', reject);
      socket.on('data', (chunk) => {
        resolve(chunk.toString('utf8'));
        socket.destroy();
      });
      socket.write('GET /then-work HTTP/1.1\r\nHost: x\r\n\r\n');
    });
    expect(bodies(answer)).toEqual([{ ok: true }]);
    expect(writesSeenByLaterWork).toBe(1);
  });

  it('keeps large answers whole and in order among small ones, and closes only after the last byte', async () => {
    const started = await start();
    app = started.app;
    const answers = bodies(await pipeline(started.port, ['/small/1', '/big', '/small/2', '/big', '/small/3']));
    expect(answers.map((a) => ('n' in (a as object) ? (a as { n: number }).n : (a as { text: string }).text.length))).toEqual([1, 100_000, 2, 100_000, 3]);
  });
});
