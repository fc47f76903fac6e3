import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { userInfo } from 'node:os';
import { freePort, MOSQUITTO_BIN } from '../support/mqtt-brokers.js';
import { tempDir } from '../support/stores.js';
import { waitFor } from '../support/wait.js';

/**
 * A Mosquitto of the cluster tests' own, on a free port of 127.0.0.1, logging
 * everything (`log_type all`) to a file the tests read: the broker is the one
 * witness that sees every connection of every node, so "never two connections
 * for one client id" is checked in its words. The machine's shared broker is
 * left alone.
 */

/** What Mosquitto 2.x logs when a second connection takes over a client id that is still connected. */
const TAKEN_OVER = /Client (\S+) already connected, closing old connection\./;
const CONNECTED = /New client connected from \S+ as (\S+) \(/;
/** A connection of `id` ending, in any of the ways Mosquitto 2.0 words it. */
const ENDED = [/^Client (\S+) disconnected(\.| due to)/, /^Client (\S+) closed its connection\./, /^Socket error on client (\S+), disconnecting\./, /^Client (\S+) has exceeded timeout, disconnecting\./];

export interface LogLine {
  /** Epoch seconds, as Mosquitto stamps them. */
  readonly second: number;
  readonly text: string;
}

export class PrivateMosquitto {
  readonly host = '127.0.0.1';
  readonly #dir = tempDir('tributary-cluster-mosquitto-');
  readonly #logFile = path.join(this.#dir, 'mosquitto.log');
  #child: ChildProcess | undefined;

  private constructor(readonly port: number) {}

  static async start(): Promise<PrivateMosquitto> {
    const broker = new PrivateMosquitto(await freePort());
    const conf = [
      `listener ${broker.port} ${broker.host}`,
      'allow_anonymous true',
      'persistence false',
      `log_dest file ${broker.#logFile}`,
      'log_type all',
      'connection_messages true',
      'log_timestamp true',
      'log_timestamp_format %s',
      'max_queued_messages 0',
      'set_tcp_nodelay true',
      // Run as whoever started it (Mosquitto drops to its own user when started as root), so it may write the log here.
      `user ${userInfo().username}`,
    ];
    const confFile = path.join(broker.#dir, 'mosquitto.conf');
    fs.writeFileSync(confFile, `${conf.join('\n')}\n`);
    const child = spawn(MOSQUITTO_BIN, ['-c', confFile], { stdio: 'ignore' });
    broker.#child = child;
    await waitFor(
      async () => {
        if (child.exitCode !== null || child.signalCode !== null) throw new Error(`mosquitto exited while starting; its log:\n${broker.logText().slice(-2000)}`);
        return (await accepting(broker.port)) ? true : undefined;
      },
      `mosquitto to listen on ${broker.port}`,
      10_000,
    );
    return broker;
  }

  get url(): string {
    return `mqtt://${this.host}:${this.port}`;
  }

  logText(): string {
    return fs.existsSync(this.#logFile) ? fs.readFileSync(this.#logFile, 'utf8') : '';
  }

  lines(): LogLine[] {
    const out: LogLine[] = [];
    for (const raw of this.logText().split('\n')) {
      const match = /^(\d+): (.*)$/.exec(raw);
      if (match) out.push({ second: Number(match[1]), text: match[2]! });
    }
    return out;
  }

  /** Every "already connected, closing old connection" of a client id matching `ids`: a second connection for one id. */
  takeovers(ids: RegExp): string[] {
    return this.lines().flatMap((line) => {
      const id = TAKEN_OVER.exec(line.text)?.[1];
      return id !== undefined && ids.test(id) ? [line.text] : [];
    });
  }

  /** How many times the broker accepted a connection as each client id matching `ids`. */
  connectCounts(ids: RegExp): Map<string, number> {
    const counts = new Map<string, number>();
    for (const line of this.lines()) {
      const id = CONNECTED.exec(line.text)?.[1];
      if (id !== undefined && ids.test(id)) counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    return counts;
  }

  /** The client ids matching `ids` that are connected now, by the log: each connect opens one, each end (or takeover) closes one. */
  connectedNow(ids: RegExp): Map<string, number> {
    const open = new Map<string, number>();
    const bump = (id: string, by: number) => open.set(id, (open.get(id) ?? 0) + by);
    for (const line of this.lines()) {
      const connected = CONNECTED.exec(line.text)?.[1];
      if (connected !== undefined) {
        if (ids.test(connected)) bump(connected, 1);
        continue;
      }
      const taken = TAKEN_OVER.exec(line.text)?.[1];
      if (taken !== undefined) {
        if (ids.test(taken)) bump(taken, -1);
        continue;
      }
      for (const pattern of ENDED) {
        const ended = pattern.exec(line.text)?.[1];
        if (ended !== undefined && ids.test(ended)) bump(ended, -1);
      }
    }
    for (const [id, n] of open) if (n === 0) open.delete(id);
    return open;
  }

  /** Log lines (from line `from` on) that mention `clientId` as a word. */
  linesAbout(clientId: string, from = 0): string[] {
    const word = new RegExp(`(^|\\s)${clientId.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}([\\s,.]|$)`);
    return this.lines()
      .slice(from)
      .flatMap((line) => (word.test(line.text) ? [line.text] : []));
  }

  async close(): Promise<void> {
    const child = this.#child;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }
    fs.rmSync(this.#dir, { recursive: true, force: true });
  }
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
