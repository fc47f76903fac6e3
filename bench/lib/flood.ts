/**
 * The publisher of the throughput scenarios: a separate process that
 * connects to the broker and writes N pre-encoded PUBLISH packets as fast as
 * the broker reads them (TCP backpressure is the only brake; at QoS 1 also
 * the 65,535 packet ids, none reused before the broker acknowledged it). Message
 * k goes to topics[k % topics.length]; its payload is k, zero-padded, then
 * filler up to the payload size, so every payload starts with a digit.
 */
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { connectPacket, DISCONNECT, isAcceptedConnack, PUBACK_BYTES, publishPacket } from './mqtt-wire.js';
import { describeExit, spawnChild } from './processes.js';

export interface FloodSpec {
  readonly host: string;
  readonly port: number;
  readonly messages: number;
  readonly topics: readonly string[];
  readonly payloadBytes: number;
  readonly qos: 0 | 1;
}

export interface FloodResult {
  /** From the first byte written to the broker's reading the last one (its socket closing after DISCONNECT; at QoS 1 every PUBACK in). */
  readonly publishMs: number;
}

const SELF = fileURLToPath(import.meta.url);
// Not imported from tributary.ts: the publisher process should load as little as it can.
const REPO_ROOT = path.resolve(path.dirname(SELF), '../..');
const CHUNK_BYTES = 1 << 20;
const PACKET_IDS = 65_535;

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

interface Chunk {
  readonly bytes: Buffer;
  /** Messages in this chunk and every one before it. */
  readonly upTo: number;
}

/** Everything to write, in chunks of about a megabyte, built before connecting so encoding costs nothing while measured. */
function encode(spec: FloodSpec): Chunk[] {
  const chunks: Chunk[] = [];
  let pending: Buffer[] = [];
  let size = 0;
  for (let k = 0; k < spec.messages; k++) {
    const packetId = spec.qos === 1 ? (k % PACKET_IDS) + 1 : undefined;
    const packet = publishPacket(spec.topics[k % spec.topics.length]!, payloadOf(k, spec.payloadBytes), packetId);
    pending.push(packet);
    size += packet.length;
    if (size >= CHUNK_BYTES || k === spec.messages - 1) {
      chunks.push({ bytes: Buffer.concat(pending), upTo: k + 1 });
      pending = [];
      size = 0;
    }
  }
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
  let ackBytes = 0;
  let acked: (() => void) | undefined;
  socket.on('data', (data: Buffer) => {
    ackBytes += data.length;
    acked?.();
  });
  const untilAcked = async (count: number) => {
    while (ackBytes / PUBACK_BYTES < count) await new Promise<void>((resolve) => (acked = resolve));
  };
  const start = performance.now();
  for (const chunk of chunks) {
    if (spec.qos === 1) await untilAcked(chunk.upTo - PACKET_IDS);
    if (!socket.write(chunk.bytes)) await new Promise((resolve) => socket.once('drain', resolve));
  }
  if (spec.qos === 1) await untilAcked(spec.messages);
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
