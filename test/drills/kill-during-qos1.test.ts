import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import mqtt from 'mqtt';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, plainBroker } from '../support/mqtt-brokers.js';
import { services } from '../support/services.js';
import { tempDir } from '../support/stores.js';
import { waitFor } from '../support/wait.js';

const root = path.resolve(import.meta.dirname, '../..');
const main = path.join(root, 'src/cli/main.ts');
const ADMIN = { email: 'drill@example.com', password: 'drill password 123' };
/** Fewer than Mosquitto's default queue for an offline client (1,000), so the broker drops none while Tributary is down. */
const TOTAL = 600;

interface StoreLeg {
  readonly name: string;
  env(): Promise<Record<string, string>>;
  cleanup(): Promise<void>;
}

function legs(): StoreLeg[] {
  const sqlite: StoreLeg = { name: 'sqlite', env: async () => ({}), cleanup: async () => {} };
  const url = services().postgresUrl;
  if (!url) return [sqlite];
  const schema = `drill_${process.pid}_${randomBytes(4).toString('hex')}`;
  return [
    sqlite,
    {
      name: 'postgres',
      env: async () => ({ DATABASE_URL: url, DATABASE_SCHEMA: schema }),
      cleanup: async () => {
        const client = new pg.Client({ connectionString: url });
        await client.connect();
        await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
        await client.end();
      },
    },
  ];
}

/**
 * SPEC §6 drill (a): a publisher sends QoS 1 messages to Tributary's
 * persistent session while Tributary is killed with SIGKILL halfway and
 * started again. Every message must be in the `messages` collection
 * (duplicates allowed, none missing): nothing the broker was told was
 * delivered may be lost.
 */
describe.each(legs())('kill -9 during QoS 1 delivery on $name', (leg) => {
  const dataDir = tempDir('tributary-drill-');
  let child: ChildProcess | undefined;
  afterAll(async () => {
    child?.kill('SIGKILL');
    await leg.cleanup();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  let exited: Promise<unknown> = Promise.resolve();

  /** The server in one process (tsx as a loader, not its CLI, which would put a second process in between). */
  async function start(port: number, extra: Record<string, string>): Promise<ChildProcess> {
    const proc = spawn(process.execPath, ['--import', 'tsx', main, 'serve'], {
      cwd: root,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'warn', TRIBUTARY_ADMIN_EMAIL: ADMIN.email, TRIBUTARY_ADMIN_PASSWORD: ADMIN.password, ...extra },
      stdio: 'ignore',
    });
    exited = new Promise((resolve) => proc.once('exit', resolve));
    await waitFor(async () => ((await fetch(`http://127.0.0.1:${port}/health`).catch(() => undefined))?.ok ? true : undefined), 'the server to listen', 30_000, 100);
    return proc;
  }

  it('keeps every message the broker handed over', async () => {
    const broker = await plainBroker();
    const port = await freePort();
    const env = await leg.env();
    child = await start(port, env);
    const base = `http://127.0.0.1:${port}`;
    const call = async <T>(method: string, url: string, token: string, body?: unknown): Promise<T> => {
      const res = await fetch(`${base}${url}`, { method, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) }, ...(body ? { body: JSON.stringify(body) } : {}) });
      return (await res.json()) as T;
    };
    const login = await fetch(`${base}/auth/user`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ADMIN) });
    const token = ((await login.json()) as { token: string }).token;
    const app = await call<{ id: string }>('POST', '/applications', token, { name: 'drill' });
    const topic = `tributary-drill/${randomBytes(4).toString('hex')}`;
    const integration = await call<{ id: string }>('POST', `/applications/${app.id}/integrations`, token, {
      name: 'persistent',
      integrationType: 'mqtt',
      topics: [`${topic}/#`],
      mqttConfig: { host: broker.host, port: broker.port, protocol: 'mqtt', clean: false, clientId: `tributary-drill-${randomBytes(4).toString('hex')}` },
    });
    const integrationPath = `/applications/${app.id}/integrations/${integration.id}`;
    await waitFor(async () => ((await call<{ status: { connectInfo?: unknown } }>('GET', integrationPath, token)).status.connectInfo ? true : undefined), 'connected', 15_000);

    const publisher = await mqtt.connectAsync({ ...broker.peerOptions, reconnectPeriod: 0 });
    for (let i = 0; i < TOTAL; i++) {
      // Each publish resolves once the broker acknowledged it: from then on it must not be lost.
      await publisher.publishAsync(`${topic}/n`, String(i), { qos: 1 });
      if (i === TOTAL / 2) child.kill('SIGKILL');
    }
    await publisher.endAsync();
    await exited;
    child = await start(port, env);

    const fresh = ((await (await fetch(`${base}/auth/user`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ADMIN) })).json()) as { token: string }).token;
    const kept = await waitFor(
      async () => {
        const list = await call<{ items: { message: string }[] }>('GET', `${integrationPath}/messages?perPage=1000`, fresh);
        const numbers = new Set(list.items.map((m) => Number(m.message)));
        return numbers.size === TOTAL ? numbers : undefined;
      },
      'every message in the collection',
      30_000,
      250,
    );
    expect(kept.size).toBe(TOTAL);
    child.kill('SIGTERM');
    await broker.close();
  }, 120_000);
});
