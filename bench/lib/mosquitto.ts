/**
 * A Mosquitto broker of the benchmark's own, on a free loopback port with a
 * known configuration. The machine's shared broker is left alone: a flood of
 * 200,000 messages or 10,000 connections there would disturb whoever else
 * uses it, and its settings (queue limits, Nagle) are not ours to know.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { onCleanup } from './cleanup.js';
import { describeExit, freePort, spawnChild, type Child } from './processes.js';

export interface BrokerOptions {
  /**
   * Outgoing QoS 0 messages Mosquitto holds for one client before it drops
   * new ones (its max_queued_messages; 0 = no limit). Its default, 1000,
   * drops whatever a subscriber cannot take right away, which would turn a
   * throughput comparison into a loss comparison.
   */
  readonly maxQueuedMessages?: number;
  /**
   * A file for Mosquitto's log of each client that connects ("New client
   * connected from … as <client id>", stamped with the epoch second):
   * attempts as the broker sees them.
   */
  readonly connectionLog?: string;
  /**
   * With connectionLog: Mosquitto's error messages too, among them "Client
   * <id> already connected, closing old connection." (a second connection
   * for one client id; Mosquitto 2.0 logs it at its error level).
   */
  readonly logErrors?: boolean;
  /** Seconds between $SYS updates (0 leaves them off). */
  readonly sysInterval?: number;
}

/** Where the broker binary is: MOSQUITTO, the Debian location, or the PATH. */
export function findMosquitto(): string | undefined {
  const candidates = [process.env.MOSQUITTO, '/usr/sbin/mosquitto', '/usr/local/sbin/mosquitto'];
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) if (dir) candidates.push(path.join(dir, 'mosquitto'));
  return candidates.find((file): file is string => file !== undefined && isExecutable(file));
}

/** The path of a client tool (mosquitto_sub, …) on the PATH, if there is one. */
export function findTool(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const file = path.join(dir, name);
    if (dir && isExecutable(file)) return file;
  }
  return undefined;
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

export class Broker {
  readonly host = '127.0.0.1';
  private current: Child;

  private constructor(
    private readonly binary: string,
    private readonly configFile: string,
    readonly port: number,
    readonly settings: string,
  ) {
    this.current = this.spawn();
  }

  /** Starts a broker and waits until it accepts connections. */
  static async start(options: BrokerOptions = {}): Promise<Broker> {
    const binary = findMosquitto();
    if (!binary) throw new Error('Mosquitto is not installed (no /usr/sbin/mosquitto or mosquitto on the PATH); install it or set MOSQUITTO to its path.');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-bench-mosquitto-'));
    onCleanup(() => fs.rmSync(dir, { recursive: true, force: true }), { kind: 'rm', path: dir });
    const port = await freePort();
    const settings = [
      'allow_anonymous true',
      'persistence false',
      ...(options.connectionLog
        ? [
            `log_dest file ${options.connectionLog}`,
            'log_type notice',
            ...(options.logErrors ? ['log_type error'] : []),
            'connection_messages true',
            'log_timestamp true',
            'log_timestamp_format %s',
            // Run as whoever started it, not Mosquitto's own user, so it may write the log where it was asked to.
            `user ${os.userInfo().username}`,
          ]
        : ['log_dest none']),
      `max_queued_messages ${options.maxQueuedMessages ?? 0}`,
      // Without it Mosquitto leaves Nagle on for its clients' sockets, and a latency figure would measure delayed ACKs.
      'set_tcp_nodelay true',
      `sys_interval ${options.sysInterval ?? 0}`,
    ];
    const configFile = path.join(dir, 'mosquitto.conf');
    fs.writeFileSync(configFile, [`listener ${port} 127.0.0.1`, ...settings, ''].join('\n'));
    const broker = new Broker(binary, configFile, port, settings.join(', '));
    await broker.waitUntilListening();
    return broker;
  }

  get url(): string {
    return `mqtt://${this.host}:${this.port}`;
  }

  get pid(): number {
    return this.current.pid;
  }

  get child(): Child {
    return this.current;
  }

  /** SIGKILL, as a crash would: no goodbye to any client. Resolves once it is gone. */
  async kill(): Promise<void> {
    if (this.current.isRunning()) process.kill(this.current.pid, 'SIGKILL');
    await this.current.exited;
  }

  /** A fresh process on the same port, once it accepts connections. */
  async restart(): Promise<void> {
    if (this.current.isRunning()) await this.kill();
    this.current = this.spawn();
    await this.waitUntilListening();
  }

  stop(): Promise<unknown> {
    return this.current.stop();
  }

  private spawn(): Child {
    return spawnChild({ name: `Mosquitto on port ${this.port}`, command: this.binary, args: ['-c', this.configFile] });
  }

  private async waitUntilListening(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.current.isRunning()) throw new Error(describeExit(this.current, await this.current.exited));
      if (await canConnect(this.host, this.port)) return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error(`Mosquitto did not listen on port ${this.port} within ${timeoutMs / 1000} s`);
  }
}

function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Tributary's connections the broker took per epoch second, from a
 * connectionLog written since `from` (ms): its CONNECTs (client ids
 * `tributary-…`), so the bench's own clients do not count.
 */
export function acceptedPerSecond(connectionLog: string, from: number): number[] {
  const perSecond = new Map<number, number>();
  const text = fs.existsSync(connectionLog) ? fs.readFileSync(connectionLog, 'utf8') : '';
  for (const line of text.split('\n')) {
    const match = /^(\d+): New client connected from \S+ as tributary-/.exec(line);
    if (!match) continue;
    const second = Number(match[1]);
    if (second * 1000 < from - 999) continue;
    perSecond.set(second, (perSecond.get(second) ?? 0) + 1);
  }
  return [...perSecond.values()];
}
