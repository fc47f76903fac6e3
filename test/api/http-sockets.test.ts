import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../support/app.js';
import { storeTargets } from '../support/stores.js';

/**
 * SPEC §10: Node's own rejections (bad request line, oversized headers,
 * timeouts) reach the client, and a request is bounded in time. These talk
 * raw TCP, since a well-behaved HTTP client cannot send what is tested.
 */

const REQUEST_TIMEOUT_MS = 600;

interface Exchange {
  /** Everything the server sent before closing (or before `settleMs` of silence). */
  readonly text: string;
  /** Whether the server closed the connection. */
  readonly closed: boolean;
  readonly elapsedMs: number;
}

/**
 * Opens a connection, writes `chunks` (strings, or pauses in ms), and reads
 * until the server closes or `waitMs` passes.
 */
function exchange(port: number, chunks: readonly (string | number)[], waitMs = 4000): Promise<Exchange> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = net.connect(port, '127.0.0.1');
    const received: Buffer[] = [];
    let done = false;
    const finish = (closed: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ text: Buffer.concat(received).toString('utf8'), closed, elapsedMs: Date.now() - started });
    };
    const timer = setTimeout(() => finish(false), waitMs);
    socket.on('data', (chunk) => received.push(chunk));
    socket.on('end', () => finish(true));
    socket.on('close', () => finish(true));
    socket.on('error', (err: NodeJS.ErrnoException) => (err.code === 'ECONNRESET' || err.code === 'EPIPE' ? finish(true) : reject(err)));
    const send = async () => {
      for (const chunk of chunks) {
        if (done) return;
        if (typeof chunk === 'number') await new Promise((r) => setTimeout(r, chunk));
        else socket.write(chunk);
      }
    };
    socket.on('connect', () => void send());
  });
}

function statusOf(text: string): number {
  return Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
}

function bodyOf(text: string): unknown {
  return JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4));
}

describe.each(storeTargets().slice(0, 1))('HTTP over raw sockets on $name', (target) => {
  let t: TestApp;
  let port: number;
  let appId: string;

  beforeAll(async () => {
    t = await buildTestApp(target, { requestTimeout: REQUEST_TIMEOUT_MS });
    appId = await t.createApplication('sockets');
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    port = (t.app.server.address() as AddressInfo).port;
  });
  afterAll(async () => t?.close());

  it('answers a malformed request line with 400 and its bytes reach the client', async () => {
    const res = await exchange(port, ['THIS IS NOT HTTP\r\n\r\n']);
    expect(statusOf(res.text), res.text).toBe(400);
    expect(bodyOf(res.text)).toMatchObject({ type: 'Validation' });
    expect(res.closed).toBe(true);
  });

  it('answers headers over the limit with 431', async () => {
    const res = await exchange(port, [`GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`]);
    expect(statusOf(res.text), res.text).toBe(431);
    expect(bodyOf(res.text)).toMatchObject({ type: 'Validation' });
    expect((bodyOf(res.text) as { message: string }).message).toMatch(/header/i);
    expect(res.closed).toBe(true);
  });

  it('answers headers that do not arrive in time with 408 and closes', async () => {
    const res = await exchange(port, ['GET /health HTTP/1.1\r\nHost: x\r\n', 200, 'X-Slow: 1\r\n']);
    expect(statusOf(res.text), res.text).toBe(408);
    expect(bodyOf(res.text)).toMatchObject({ type: 'RequestTimeout' });
    expect(res.closed).toBe(true);
    expect(res.elapsedMs).toBeLessThan(3000);
  });

  it('answers a body that never completes with 408 and closes, on POST /auth/user too', async () => {
    for (const path of ['/auth/user', '/applications']) {
      const res = await exchange(port, [`POST ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${t.userToken}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"email":`]);
      expect(statusOf(res.text), `${path}: ${res.text}`).toBe(408);
      expect(bodyOf(res.text)).toMatchObject({ type: 'RequestTimeout' });
      expect(res.closed).toBe(true);
      expect(res.elapsedMs).toBeLessThan(3000);
    }
  });

  it('answers an unauthenticated chunked upload with 401 and closes without reading the rest', async () => {
    const res = await exchange(port, [`POST /applications HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{"a":\r\n`], 2000);
    expect(statusOf(res.text), res.text).toBe(401);
    expect(res.text).toMatch(/\r\nconnection: close\r\n/i);
    expect(res.closed).toBe(true);
    expect(res.elapsedMs).toBeLessThan(REQUEST_TIMEOUT_MS);
  });

  it('keeps a connection whose request was complete open for the next one', async () => {
    const get = `GET /applications/${appId} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${t.userToken}\r\n\r\n`;
    const res = await exchange(port, [get, 100, get], 1000);
    expect(res.text.match(/HTTP\/1\.1 200/g)).toHaveLength(2);
    expect(res.closed).toBe(false);
  });

  it('leaves a stream open past the request timeout', async () => {
    const res = await exchange(port, [`GET /applications/${appId}/integrationMessageStream HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${t.userToken}\r\n\r\n`], REQUEST_TIMEOUT_MS * 3);
    expect(statusOf(res.text), res.text).toBe(200);
    expect(res.text).not.toMatch(/408/);
    expect(res.closed).toBe(false);
  });
});
