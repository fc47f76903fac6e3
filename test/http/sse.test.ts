import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { SseStream } from '../../src/http/sse.js';
import { waitFor } from '../support/wait.js';

/** A real server whose responses are SseStreams, and raw clients that read fast or not at all. */
async function sseServer(maxBuffered: number) {
  const streams: SseStream[] = [];
  const server = http.createServer((_req, res) => {
    streams.push(new SseStream(res, { keepAliveSeconds: 60, maxBuffered }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const connect = (paused: boolean) =>
    new Promise<{ res: http.IncomingMessage; text: () => string }>((resolve) => {
      http.get({ host: '127.0.0.1', port, path: '/' }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        if (paused) res.pause();
        res.on('data', (chunk: string) => (text += chunk));
        resolve({ res, text: () => text });
      });
    });
  return { server, streams, connect, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe('SseStream', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
    close = undefined;
  });

  it('frames events and keeps a slow reader bounded, dropping the oldest, without slowing a fast one', async () => {
    const { streams, connect, close: stop, server } = await sseServer(1000);
    close = async () => {
      server.closeAllConnections();
      await stop();
    };
    const slow = await connect(true);
    const fast = await connect(false);
    await waitFor(() => (streams.length === 2 ? true : undefined), 'both streams');
    const [slowStream, fastStream] = streams as [SseStream, SseStream];

    const payload = 'x'.repeat(1000);
    const total = 20_000;
    for (let i = 0; i < total; i++) {
      const data = `{"n":${i},"p":"${payload}"}`;
      slowStream.send('integrationMessage', data, i + 1);
      fastStream.send('integrationMessage', data, i + 1);
      // Bursts of a hundred, then the loop turns: a producer the fast reader can keep up with.
      if (i % 100 === 99) await new Promise((resolve) => setImmediate(resolve));
    }
    // The fast reader gets everything, in order, while the slow one is stuck.
    await waitFor(() => (fast.text().includes(`{"n":${total - 1},`) ? true : undefined), 'the fast reader to get every event', 10_000);
    expect(fast.text().match(/id: \d{16}\nevent: integrationMessage\ndata: /g)).toHaveLength(total);
    expect(slowStream.droppedCount).toBeGreaterThan(total / 2);
    expect(slowStream.heldCount).toBeLessThanOrEqual(2 * 1000);

    slow.res.resume();
    await waitFor(() => (slow.text().includes(`{"n":${total - 1},`) ? true : undefined), 'the slow reader to catch up with the newest event', 10_000);
    const dropped = /event: dropped\ndata: \{"count":(\d+)\}/.exec(slow.text());
    expect(Number(dropped?.[1])).toBeGreaterThan(0);
    const delivered = slow.text().match(/event: integrationMessage/g)?.length ?? 0;
    expect(delivered).toBeLessThan(total);
  });

  it('ends with a comment and runs its cleanups once', async () => {
    const { streams, connect, close: stop } = await sseServer(10);
    close = stop;
    const client = await connect(false);
    await waitFor(() => (streams.length === 1 ? true : undefined), 'the stream');
    let cleanups = 0;
    streams[0]!.onClose(() => (cleanups += 1));
    const ended = new Promise((resolve) => client.res.on('end', resolve));
    streams[0]!.end('The integration was deleted');
    await ended;
    expect(client.text()).toContain(':closed The integration was deleted');
    streams[0]!.end('again');
    expect(cleanups).toBe(1);
  });
});
