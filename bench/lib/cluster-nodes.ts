/**
 * Several Tributary processes on one fresh PostgreSQL schema: a cluster as
 * SPEC §8 describes it, each node started as `npm start` starts the server
 * (node dist/cli/main.js serve), configured through its environment only.
 * A node can be killed and started again on the same port, NODE_ID and
 * DATA_DIR.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { options as serverOptions } from '../../src/config/options.js';
import { login, type ApiClient } from './api-client.js';
import { onCleanup } from './cleanup.js';
import { freePort, spawnChild, waitForHttp, type Child } from './processes.js';
import { DEFAULT_DATABASE_URL, REPO_ROOT, startFlags } from './tributary.js';

const ENTRY = path.join(REPO_ROOT, 'dist/cli/main.js');

async function withPostgres(url: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

export interface ClusterSettings {
  readonly databaseUrl: string;
  readonly schema: string;
  /** Settings every node gets on top of the bench's own (LEASE_SECONDS, say); empty = the defaults. */
  readonly env: Readonly<Record<string, string>>;
}

export class ClusterNode {
  private current: Child | undefined;
  private client: ApiClient | undefined;

  constructor(
    readonly id: string,
    readonly port: number,
    private readonly env: Readonly<Record<string, string>>,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get child(): Child {
    if (!this.current) throw new Error(`${this.id} was never started`);
    return this.current;
  }

  get running(): boolean {
    return this.current?.isRunning() ?? false;
  }

  /** The API as the admin user, through this node. */
  get api(): ApiClient {
    if (!this.client) throw new Error(`${this.id} is not logged in`);
    return this.client;
  }

  /** Starts the node (again, after a kill: same port, id and DATA_DIR) and waits until /ready answers; resolves with how long that took (ms). */
  async start(email: string, password: string): Promise<number> {
    const started = Date.now();
    this.current = spawnChild({ name: `Tributary ${this.id}`, command: process.execPath, args: [...startFlags(), ENTRY, 'serve'], env: { ...this.env }, cwd: REPO_ROOT });
    const child = this.current;
    await waitForHttp(`${this.url}/ready`, child, 120_000).catch((err: unknown) => {
      throw new Error(`${err instanceof Error ? err.message : String(err)}; its last output:\n${child.tail() || '(none)'}`);
    });
    this.client = await login(this.url, email, password);
    return Date.now() - started;
  }

  /** SIGKILL, as a crash would; resolves once the process is gone. */
  async kill(): Promise<void> {
    if (this.current?.isRunning()) process.kill(this.current.pid, 'SIGKILL');
    await this.current?.exited;
  }
}

export class Cluster {
  private constructor(
    readonly nodes: readonly ClusterNode[],
    readonly settings: ClusterSettings,
    readonly adminEmail: string,
    readonly adminPassword: string,
  ) {}

  /**
   * Creates the schema (dropped at cleanup), then starts the first node alone
   * (it migrates and creates the admin user) and the others together.
   */
  static async start(count: number, env: Readonly<Record<string, string>>): Promise<Cluster> {
    const databaseUrl = process.env.BENCH_DATABASE_URL ?? DEFAULT_DATABASE_URL;
    const schema = `bench_cluster_${randomBytes(6).toString('hex')}`;
    try {
      await withPostgres(databaseUrl, `CREATE SCHEMA "${schema}"`);
    } catch (err) {
      throw new Error(`Cannot create a schema in PostgreSQL (${err instanceof Error ? err.message : String(err)}); start it or point BENCH_DATABASE_URL at one.`);
    }
    const drop = `DROP SCHEMA IF EXISTS "${schema}" CASCADE`;
    // Registered first, so it runs last: after every node is stopped.
    onCleanup(() => withPostgres(databaseUrl, drop), { kind: 'sql', url: databaseUrl, statement: drop });

    // Settings exported in the caller's shell must not leak into the nodes.
    const inherited = { ...process.env };
    for (const spec of Object.values(serverOptions)) delete inherited[spec.env];
    // One key for secrets at rest, shared by the nodes (each would otherwise make its own in its DATA_DIR).
    const secretKey = randomBytes(32).toString('hex');
    const settings: ClusterSettings = { databaseUrl, schema, env };
    const adminEmail = 'bench@example.com';
    const adminPassword = randomBytes(12).toString('hex');
    const nodes: ClusterNode[] = [];
    for (let n = 0; n < count; n++) {
      const id = `node-${n + 1}`;
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `tributary-bench-${id}-`));
      onCleanup(() => fs.rmSync(dataDir, { recursive: true, force: true }), { kind: 'rm', path: dataDir });
      const port = await freePort();
      nodes.push(
        new ClusterNode(id, port, {
          ...inherited,
          HOST: '127.0.0.1',
          PORT: String(port),
          DATA_DIR: dataDir,
          LOG_LEVEL: 'warn',
          NODE_ID: id,
          DATABASE_URL: databaseUrl,
          DATABASE_SCHEMA: schema,
          TRIBUTARY_SECRET_KEY: secretKey,
          TRIBUTARY_ADMIN_EMAIL: adminEmail,
          TRIBUTARY_ADMIN_PASSWORD: adminPassword,
          ...env,
        }),
      );
    }
    const [first, ...rest] = nodes;
    await first!.start(adminEmail, adminPassword);
    await Promise.all(rest.map((node) => node.start(adminEmail, adminPassword)));
    return new Cluster(nodes, settings, adminEmail, adminPassword);
  }

  get live(): ClusterNode[] {
    return this.nodes.filter((node) => node.running);
  }
}
