import net from 'node:net';
import pg from 'pg';
import type { TestProject } from 'vitest/node';

export const POSTGRES_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const MOSQUITTO = { host: '127.0.0.1', port: Number(process.env.TEST_MOSQUITTO_PORT ?? 1883) };

export interface TestServices {
  /** Set when PostgreSQL is reachable; the PostgreSQL legs use it. */
  postgresUrl: string | null;
  /** Set when Mosquitto is reachable; otherwise MQTT tests use an in-process aedes broker. */
  mosquitto: { host: string; port: number } | null;
}

declare module 'vitest' {
  export interface ProvidedContext {
    services: TestServices;
  }
}

async function postgresReachable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

/** A CONNECT/CONNACK exchange, so a port that is open but not MQTT does not count. */
function mosquittoReachable(): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(MOSQUITTO);
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(2000, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => {
      const id = Buffer.from('tributary-probe');
      const variable = Buffer.from([0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x04, 0x02, 0x00, 0x0a]);
      const payload = Buffer.concat([Buffer.from([0x00, id.length]), id]);
      socket.write(Buffer.concat([Buffer.from([0x10, variable.length + payload.length]), variable, payload]));
    });
    socket.on('data', (data) => done(data[0] === 0x20 && data[3] === 0x00));
  });
}

export default async function setup(project: TestProject): Promise<void> {
  const ci = process.env.CI === 'true';
  const [hasPostgres, hasMosquitto] = await Promise.all([postgresReachable(), mosquittoReachable()]);
  if (ci && (!hasPostgres || !hasMosquitto)) {
    const missing = [!hasPostgres && `PostgreSQL (${POSTGRES_URL})`, !hasMosquitto && `Mosquitto (${MOSQUITTO.host}:${MOSQUITTO.port})`].filter(Boolean);
    throw new Error(`CI=true requires real services, but these are unreachable: ${missing.join(', ')}`);
  }
  if (!hasPostgres) console.warn(`[tributary tests] PostgreSQL unreachable at ${POSTGRES_URL}: store tests run on SQLite only.`);
  if (!hasMosquitto) console.warn(`[tributary tests] Mosquitto unreachable at ${MOSQUITTO.host}:${MOSQUITTO.port}: MQTT tests use an in-process aedes broker.`);
  project.provide('services', { postgresUrl: hasPostgres ? POSTGRES_URL : null, mosquitto: hasMosquitto ? MOSQUITTO : null });
}
