/**
 * The reference every benchmark compares against: plain node:http answering
 * {"hello":"world"} on any path and method. It runs as its own process, like
 * Tributary, so both pay the same cost of being a separate process on a
 * loopback socket and neither shares an event loop with the load generator.
 */
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, spawnChild, waitForHttp, type Child } from './processes.js';

const BODY = JSON.stringify({ hello: 'world' });
const SELF = fileURLToPath(import.meta.url);

export interface BareServer {
  readonly url: string;
  readonly child: Child;
}

/** Starts the reference server on a free loopback port (on `core` when given) and waits until it answers. */
export async function startBareServer(cwd: string, core?: number): Promise<BareServer> {
  const port = await freePort();
  const child = spawnChild({
    name: 'bare node:http server',
    command: process.execPath,
    // The TypeScript loader only costs at start-up; the request path is plain node:http.
    args: ['--import', 'tsx', path.relative(cwd, SELF)],
    env: { ...process.env, PORT: String(port) },
    cwd,
    core,
  });
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(url, child);
  return { url, child };
}

function serve(port: number): void {
  const server = http.createServer((request, response) => {
    // The body is read, not ignored, so a POST costs what reading it costs.
    request.resume();
    request.on('end', () => {
      response.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(BODY) });
      response.end(BODY);
    });
  });
  server.listen(port, '127.0.0.1');
  const close = () => server.close(() => process.exit(0));
  process.on('SIGTERM', close);
  process.on('SIGINT', close);
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === SELF) {
  const port = Number(process.env.PORT);
  if (!Number.isInteger(port) || port <= 0) {
    process.stderr.write('bare-server: PORT must be set to a port number\n');
    process.exit(2);
  }
  serve(port);
}
