import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { freePort } from '../support/mqtt-brokers.js';
import { services } from '../support/services.js';
import { dropSchema, tempDir } from '../support/stores.js';
import { waitFor } from '../support/wait.js';

/**
 * The real server as a drill needs it: `node --import tsx src/cli/main.ts
 * serve` in a child process of its own (tsx as a loader, not its CLI, which
 * would put a second process in between), on a temp DATA_DIR or a fresh
 * PostgreSQL schema, killed and started again on the same port and store.
 */

const root = path.resolve(import.meta.dirname, '../..');
const main = path.join(root, 'src/cli/main.ts');
const ADMIN = { email: 'drill@example.com', password: 'drill password 123' };

export interface StoreLeg {
  readonly name: string;
  env(): Record<string, string>;
  cleanup(): Promise<void>;
}

/** SQLite always; PostgreSQL (a fresh DATABASE_SCHEMA, dropped at cleanup) where the machine has it. */
export function storeLegs(): StoreLeg[] {
  const sqlite: StoreLeg = { name: 'sqlite', env: () => ({}), cleanup: async () => {} };
  const url = services().postgresUrl;
  if (!url) return [sqlite];
  const schema = `drill_${process.pid}_${randomBytes(4).toString('hex')}`;
  return [
    sqlite,
    {
      name: 'postgres',
      env: () => ({ DATABASE_URL: url, DATABASE_SCHEMA: schema }),
      cleanup: async () => {
        await dropSchema(url, schema);
      },
    },
  ];
}

export interface RetainedMessage {
  readonly id: string;
  readonly topic: string;
  readonly message: string;
  readonly sourceId?: string;
  readonly attributes?: Record<string, string>;
}

export class DrillServer {
  readonly #dataDir = tempDir('tributary-drill-');
  readonly #env: Record<string, string>;
  #port = 0;
  #child: ChildProcess | undefined;
  #exited: Promise<NodeJS.Signals | number | null> = Promise.resolve(null);
  #token = '';
  #log = '';

  constructor(env: Record<string, string>) {
    this.#env = env;
  }

  get base(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  /** Starts the server (on the port of the last start, if any) and logs in. */
  async start(): Promise<void> {
    this.#port ||= await freePort();
    const proc = spawn(process.execPath, ['--import', 'tsx', main, 'serve'], {
      cwd: root,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        PORT: String(this.#port),
        HOST: '127.0.0.1',
        DATA_DIR: this.#dataDir,
        LOG_LEVEL: 'warn',
        TRIBUTARY_ADMIN_EMAIL: ADMIN.email,
        TRIBUTARY_ADMIN_PASSWORD: ADMIN.password,
        ...this.#env,
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    // Its last words (LOG_LEVEL=warn), to explain a server that did not come up.
    proc.stderr?.on('data', (chunk: Buffer) => (this.#log = (this.#log + chunk.toString()).slice(-4000)));
    this.#child = proc;
    this.#exited = new Promise((resolve) => proc.once('exit', (code, signal) => resolve(signal ?? code)));
    let exited = false;
    void this.#exited.then(() => (exited = true));
    const listening = async () => {
      if (exited) throw new Error('The server exited');
      return (await fetch(`${this.base}/health`).catch(() => undefined))?.ok ? true : undefined;
    };
    await waitFor(listening, 'the server to listen', 30_000, 100).catch((error: unknown) => {
      throw new Error(`${String(error)}; its log:\n${this.#log}`);
    });
    const login = await fetch(`${this.base}/auth/user`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ADMIN) });
    this.#token = ((await login.json()) as { token: string }).token;
  }

  /** Sends `signal` and waits for the process to exit; resolves with the signal or exit code it ended with. */
  async stop(signal: NodeJS.Signals): Promise<NodeJS.Signals | number | null> {
    this.#child?.kill(signal);
    return this.#exited;
  }

  async call<T>(method: string, url: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.base}${url}`, {
      method,
      headers: { authorization: `Bearer ${this.#token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${url} answered ${res.status}: ${text}`);
    return JSON.parse(text) as T;
  }

  /** Creates an application and one integration in it; resolves with the integration's path once it is connected. */
  async integration(body: Record<string, unknown>): Promise<string> {
    const app = await this.call<{ id: string }>('POST', '/applications', { name: 'drill' });
    const integration = await this.call<{ id: string }>('POST', `/applications/${app.id}/integrations`, { name: 'drill', ...body });
    const at = `/applications/${app.id}/integrations/${integration.id}`;
    await this.connected(at);
    return at;
  }

  async connected(integrationPath: string): Promise<void> {
    await waitFor(async () => ((await this.call<{ status: { connectInfo?: unknown } }>('GET', integrationPath)).status.connectInfo ? true : undefined), 'the integration to connect', 15_000, 100);
  }

  /** Every retained message of the integration, oldest first (every page). */
  async retained(integrationPath: string): Promise<RetainedMessage[]> {
    const all: RetainedMessage[] = [];
    for (let page = 0; ; page++) {
      const { items } = await this.call<{ items: RetainedMessage[] }>('GET', `${integrationPath}/messages?sortDirection=asc&perPage=1000&page=${page}`);
      all.push(...items);
      if (items.length < 1000) return all;
    }
  }

  /** Kills the server if it still runs and removes its data directory. */
  async destroy(): Promise<void> {
    if (this.#child && this.#child.exitCode === null && this.#child.signalCode === null) await this.stop('SIGKILL');
    fs.rmSync(this.#dataDir, { recursive: true, force: true });
  }
}

/** Resolves after `ms`: pacing a producer so that a kill lands while messages flow. */
export const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
