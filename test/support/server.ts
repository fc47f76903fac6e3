import fs from 'node:fs';
import pino from 'pino';
import { testConfig, type Config } from '../../src/config/config.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { tempDir, type StoreTarget } from './stores.js';

export const E2E_ADMIN = { email: 'e2e@example.com', password: 'e2e password 123' };

/** The real server, listening on 127.0.0.1 port 0, on a fresh store. */
export async function startTestServer(target: StoreTarget, overrides: Partial<Config> = {}): Promise<RunningServer & { stop(): Promise<void> }> {
  const dataDir = tempDir();
  const opened = await target.open();
  const config = testConfig({ host: '127.0.0.1', port: 0, dataDir, adminEmail: E2E_ADMIN.email, adminPassword: E2E_ADMIN.password, ...overrides });
  const server = await startServer(config, { store: opened.store, logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }) });
  return {
    ...server,
    async stop() {
      await server.close();
      await opened.destroy().catch(() => {});
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
