import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { freePort, mosquittoAvailable, MOSQUITTO_BIN } from '../support/mqtt-brokers.js';
import { services } from '../support/services.js';
import { dropSchema, tempDir } from '../support/stores.js';
import { waitFor } from '../support/wait.js';

/**
 * Several real Tributary processes on one fresh PostgreSQL schema: the
 * cluster of SPEC §8 as an operator runs it. Each node is
 * `node --import tsx src/cli/main.ts serve` (as test/drills/server-process.ts
 * starts one) with its own NODE_ID, port and DATA_DIR; a node can be killed
 * (SIGKILL), stopped (SIGTERM) and started again on the same port and id.
 */

const root = path.resolve(import.meta.dirname, '../..');
const main = path.join(root, 'src/cli/main.ts');
export const ADMIN = { email: 'cluster@example.com', password: 'cluster password 123' };

/**
 * Why the cluster tests cannot run here, or undefined when they can. Under
 * CI=true a missing service is a failure (the global setup already fails
 * without PostgreSQL), never a skip.
 */
export function clusterUnavailable(): string | undefined {
  const missing = [!services().postgresUrl && 'PostgreSQL (127.0.0.1:5432, database test)', !mosquittoAvailable() && `the mosquitto binary (${MOSQUITTO_BIN})`].filter(Boolean);
  if (missing.length === 0) return undefined;
  const reason = `the cluster tests need ${missing.join(' and ')}`;
  if (process.env.CI === 'true') throw new Error(`CI=true: ${reason}, which this machine lacks`);
  return reason;
}

export interface Answer<T = unknown> {
  readonly status: number;
  readonly body: T;
}

export class ClusterNode {
  readonly #dataDir = tempDir('tributary-cluster-');
  #port = 0;
  #child: ChildProcess | undefined;
  #exited: Promise<NodeJS.Signals | number | null> = Promise.resolve(null);
  #token = '';
  #log = '';

  constructor(
    readonly id: string,
    private readonly env: Record<string, string>,
  ) {}

  get base(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  /** The user token (all.User) this node handed out at login. */
  get token(): string {
    return this.#token;
  }

  get running(): boolean {
    return this.#child !== undefined && this.#child.exitCode === null && this.#child.signalCode === null;
  }

  /** Its last words at LOG_LEVEL=warn, to explain a failure. */
  get log(): string {
    return this.#log;
  }

  /** Starts the node (on the port of its last start, if any), waits until it is ready and logs in. */
  async start(): Promise<void> {
    this.#port ||= await freePort();
    const proc = spawn(process.execPath, ['--import', 'tsx', main, 'serve'], {
      cwd: root,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        HOST: '127.0.0.1',
        PORT: String(this.#port),
        DATA_DIR: this.#dataDir,
        NODE_ID: this.id,
        LOG_LEVEL: 'warn',
        TRIBUTARY_ADMIN_EMAIL: ADMIN.email,
        TRIBUTARY_ADMIN_PASSWORD: ADMIN.password,
        ...this.env,
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    proc.stderr?.on('data', (chunk: Buffer) => (this.#log = (this.#log + chunk.toString()).slice(-8000)));
    this.#child = proc;
    this.#exited = new Promise((resolve) => proc.once('exit', (code, signal) => resolve(signal ?? code)));
    const ready = async () => {
      if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`${this.id} exited`);
      return (await fetch(`${this.base}/ready`).catch(() => undefined))?.ok ? true : undefined;
    };
    await waitFor(ready, `${this.id} to be ready`, 45_000, 100).catch((error: unknown) => {
      throw new Error(`${String(error)}; its log:\n${this.#log}`);
    });
    const login = await this.request<{ token: string }>('POST', '/auth/user', ADMIN, '');
    if (login.status !== 200) throw new Error(`login on ${this.id} answered ${login.status}: ${JSON.stringify(login.body)}`);
    this.#token = login.body.token;
  }

  /** Sends `signal`; resolves once the process is gone, with the signal or exit code it ended with. */
  async stop(signal: NodeJS.Signals): Promise<NodeJS.Signals | number | null> {
    if (this.running) this.#child?.kill(signal);
    return this.#exited;
  }

  /** Any request; `token` defaults to the user token ('' for none). Never throws on a status. */
  async request<T = unknown>(method: string, url: string, body?: unknown, token = this.#token): Promise<Answer<T>> {
    const res = await fetch(`${this.base}${url}`, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(20_000),
    });
    const text = await res.text();
    return { status: res.status, body: (text === '' ? undefined : JSON.parse(text)) as T };
  }

  /** A request that must answer 2xx; resolves with the body. */
  async call<T>(method: string, url: string, body?: unknown): Promise<T> {
    const answer = await this.request<T>(method, url, body);
    if (answer.status >= 300) throw new Error(`${method} ${url} on ${this.id} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
    return answer.body;
  }

  /** Kills the process if it still runs and removes its data directory. */
  async destroy(): Promise<void> {
    await this.stop('SIGKILL');
    fs.rmSync(this.#dataDir, { recursive: true, force: true });
  }
}

export interface ClusterOptions {
  readonly nodeIds: readonly string[];
  readonly leaseSeconds: number;
  /** Settings for one node only (e.g. its DATABASE_URL through a proxy), by node id. */
  readonly perNode?: Readonly<Record<string, Record<string, string>>>;
}

export interface ClusterView {
  readonly id: string;
  readonly url: string;
  readonly startedAt: string;
  readonly lastSeen: string;
  readonly integrations: number;
}

export class Cluster {
  readonly nodes: ClusterNode[];
  readonly schema = `cluster_${process.pid}_${randomBytes(4).toString('hex')}`;

  constructor(
    readonly databaseUrl: string,
    options: ClusterOptions,
  ) {
    // One key for secrets at rest across the nodes: each would otherwise generate its own in its DATA_DIR and refuse the others' rows.
    const secretKey = randomBytes(32).toString('hex');
    const shared = { DATABASE_URL: databaseUrl, DATABASE_SCHEMA: this.schema, LEASE_SECONDS: String(options.leaseSeconds), TRIBUTARY_SECRET_KEY: secretKey };
    this.nodes = options.nodeIds.map((id) => new ClusterNode(id, { ...shared, ...options.perNode?.[id] }));
  }

  /**
   * Starts the first node alone (it creates the schema and the admin user),
   * then the others together.
   */
  async start(): Promise<void> {
    const [first, ...rest] = this.nodes;
    await first!.start();
    await Promise.all(rest.map((node) => node.start()));
  }

  node(id: string): ClusterNode {
    const found = this.nodes.find((node) => node.id === id);
    if (!found) throw new Error(`no node ${id}`);
    return found;
  }

  get live(): ClusterNode[] {
    return this.nodes.filter((node) => node.running);
  }

  /** GET /cluster through `via`. */
  async view(via: ClusterNode): Promise<ClusterView[]> {
    return (await via.call<{ nodes: ClusterView[] }>('GET', '/cluster')).nodes;
  }

  /** The nodes' last log lines, for a failure message. */
  logs(): string {
    return this.nodes.map((node) => `--- ${node.id} (${node.running ? 'running' : 'stopped'}) ---\n${node.log.slice(-3000)}`).join('\n');
  }

  /** Kills every node, then drops the schema; safe to call whatever state the test left. */
  async destroy(): Promise<void> {
    await Promise.all(this.nodes.map((node) => node.destroy()));
    await dropSchema(this.databaseUrl, this.schema);
  }
}
