/**
 * The publisher of the throughput scenarios: a separate process that
 * connects to the broker and writes N pre-encoded QoS 0 PUBLISH packets as
 * fast as the broker reads them (TCP backpressure is the only brake). Message
 * k goes to topics[k % topics.length]; its payload is k, zero-padded, then
 * filler up to the payload size, so every payload starts with a digit.
 */
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { connectPacket, DISCONNECT, isAcceptedConnack, publishPacket } from './mqtt-wire.js';
import { describeExit, spawnChild } from './processes.js';

export interface FloodSpec {
  readonly host: string;
  readonly port: number;
  readonly messages: number;
  readonly topics: readonly string[];
  readonly payloadBytes: number;
}

export interface FloodResult {
  /** From the first byte written to the broker's reading the last one (its socket closing after DISCONNECT). */
  readonly publishMs: number;
}

const SELF = fileURLToPath(import.meta.url);
// Not imported from tributary.ts: the publisher process should load as little as it can.
const REPO_ROOT = path.resolve(path.dirname(SELF), '../..');
const CHUNK_BYTES = 1 << 20;

/** Runs the publisher process to completion. */
export async function flood(spec: FloodSpec): Promise<FloodResult> {
  let output = '';
  const child = spawnChild({
    name: 'flood publisher',
    command: process.execPath,
    args: ['--import', 'tsx', path.relative(REPO_ROOT, SELF)],
    env: { ...process.env, FLOOD_SPEC: JSON.stringify(spec) },
    cwd: REPO_ROOT,
    stdout: (chunk) => (output += chunk.toString('utf8')),
  });
  const exit = await child.exited;
  if (exit.code !== 0) throw new Error(describeExit(child, exit));
  return JSON.parse(output) as FloodResult;
}

export function payloadOf(k: number, payloadBytes: number): Buffer {
  const head = `${String(k).padStart(9, '0')} `;
  return Buffer.from(head.padEnd(Math.max(payloadBytes, head.length), 'x'), 'latin1');
}

/** Everything to write, in chunks of about a megabyte, built before connecting so encoding costs nothing while measured. */
function encode(spec: FloodSpec): Buffer[] {
  const chunks: Buffer[] = [];
  let pending: Buffer[] = [];
  let size = 0;
  for (let k = 0; k < spec.messages; k++) {
    const packet = publishPacket(spec.topics[k % spec.topics.length]!, payloadOf(k, spec.payloadBytes));
    pending.push(packet);
    size += packet.length;
    if (size >= CHUNK_BYTES) {
      chunks.push(Buffer.concat(pending));
      pending = [];
      size = 0;
    }
  }
  if (pending.length > 0) chunks.push(Buffer.concat(pending));
  return chunks;
}

async function publish(spec: FloodSpec): Promise<FloodResult> {
  const chunks = encode(spec);
  const socket = net.connect({ host: spec.host, port: spec.port, noDelay: true });
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.on('error', (err) => {
    process.stderr.write(`flood publisher: ${err.message}\n`);
    process.exit(1);
  });
  socket.write(connectPacket(`bench-flood-${process.pid}`));
  const connack = await new Promise<Buffer>((resolve) => socket.once('data', resolve));
  if (!isAcceptedConnack(connack)) throw new Error(`the broker refused the connection (CONNACK ${connack.toString('hex')})`);
  const start = performance.now();
  for (const chunk of chunks) {
    if (!socket.write(chunk)) await new Promise((resolve) => socket.once('drain', resolve));
  }
  // Mosquitto handles packets in order, so once it closes after DISCONNECT it has read every PUBLISH.
  socket.end(DISCONNECT);
  await closed;
  return { publishMs: performance.now() - start };
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === SELF) {
  const spec = JSON.parse(process.env.FLOOD_SPEC ?? 'null') as FloodSpec | null;
  if (!spec) {
    process.stderr.write('flood: FLOOD_SPEC must hold the publisher spec as JSON\n');
    process.exit(2);
  }
  try {
    process.stdout.write(JSON.stringify(await publish(spec)));
    process.exit(0);
  } catch (err) {
    process.stderr.write(`flood publisher: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  }
}
