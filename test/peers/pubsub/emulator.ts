import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { freePort } from '../../support/mqtt-brokers.js';
import { waitFor } from '../../support/wait.js';
import net from 'node:net';

/** Google's own Pub/Sub emulator (Java), where the Cloud SDK is installed. */
export const EMULATOR_BIN = '/usr/lib/google-cloud-sdk/platform/pubsub-emulator/bin/cloud-pubsub-emulator';

export function emulatorInstalled(): boolean {
  return existsSync(EMULATOR_BIN);
}

export interface Emulator {
  /** `127.0.0.1:<port>`, what PUBSUB_EMULATOR_HOST would hold. */
  readonly host: string;
  close(): Promise<void>;
}

/** Starts the emulator on 127.0.0.1 and a free port; resolves once it accepts connections (about 2 s). */
export async function startEmulator(): Promise<Emulator> {
  const port = await freePort();
  // Its own process group: the script starts java, and both must end with the test.
  const child = spawn(EMULATOR_BIN, ['--host=127.0.0.1', `--port=${port}`], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.pid !== undefined) process.kill(-child.pid, 'SIGTERM');
    await exited;
  };
  try {
    await waitFor(async () => {
      if (child.exitCode !== null) throw new Error(`The Pub/Sub emulator exited: ${output}`);
      return (await accepting(port)) && output.includes('Server started') ? true : undefined;
    }, 'the Pub/Sub emulator', 30_000, 100);
  } catch (error) {
    await stop();
    throw error;
  }
  return { host: `127.0.0.1:${port}`, close: stop };
}

function accepting(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
