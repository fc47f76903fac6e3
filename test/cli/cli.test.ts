import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { testConfig } from '../../src/config/config.js';
import { createContext } from '../../src/context.js';
import { tempDir } from '../support/stores.js';

const root = path.resolve(import.meta.dirname, '../..');
const tsx = path.join(root, 'node_modules/.bin/tsx');
const main = path.join(root, 'src/cli/main.ts');
const dirs: string[] = [];

function dataDir(): string {
  const dir = tempDir('tributary-cli-');
  dirs.push(dir);
  return dir;
}

function cli(args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(tsx, [main, ...args], { cwd: root, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env }, encoding: 'utf8', timeout: 30_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

afterAll(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

describe('tributary CLI', () => {
  it('--help explains the commands', () => {
    const { code, stdout } = cli(['--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/serve/);
    expect(stdout).toMatch(/users/);
  });

  it('serve --help explains every option with its environment variable', () => {
    const { code, stdout } = cli(['serve', '--help']);
    expect(code).toBe(0);
    for (const text of ['--port', 'PORT', '--host', 'HOST', '--data-dir', 'DATA_DIR', '--database-url', 'DATABASE_URL', 'TRIBUTARY_SECRET_KEY', 'RATE_LIMIT_MAX', 'RECONNECT_BASE_MS']) {
      expect(stdout).toContain(text);
    }
  });

  it('refuses bad settings with plain sentences, all at once', () => {
    const { code, stderr } = cli(['serve', '--host', '127.0.0.1'], { PORT: 'abc', DATABASE_URL: 'mysql://x', LOG_LEVEL: 'loud', DATA_DIR: dataDir() });
    expect(code).toBe(2);
    expect(stderr).toContain('PORT must be a whole number, got "abc"');
    expect(stderr).toContain('DATABASE_URL must start with postgres:// or postgresql://');
    expect(stderr).toContain('LOG_LEVEL must be one of');
    expect(stderr).not.toMatch(/at .*\.ts:\d+/);
  });

  it('creates users and refuses duplicates and bad input plainly', () => {
    const DATA_DIR = dataDir();
    const created = cli(['users', 'create', '--email', 'ops@example.com', '--password', 'long enough'], { DATA_DIR });
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(/^Created user ops@example\.com \(id [a-f0-9]{24}\)\.$/m);
    const duplicate = cli(['users', 'create', '--email', 'OPS@example.com', '--password', 'long enough'], { DATA_DIR });
    expect(duplicate.code).toBe(2);
    expect(duplicate.stderr.trim()).toBe('tributary: A user with the email OPS@example.com already exists.');
    const short = cli(['users', 'create', '--email', 'x@example.com', '--password', 'short'], { DATA_DIR });
    expect(short.stderr.trim()).toBe('tributary: The password must be 8 to 2048 characters long.');
    const missing = cli(['users', 'create', '--email', 'x@example.com'], { DATA_DIR });
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/required option '--password <password>' not specified/);
  });

  it("users set-password revokes the user's existing tokens", async () => {
    const DATA_DIR = dataDir();
    expect(cli(['users', 'create', '--email', 'ops@example.com', '--password', 'first password'], { DATA_DIR }).code).toBe(0);
    const open = () => createContext(testConfig({ dataDir: DATA_DIR }));
    const before = await open();
    let token: string;
    try {
      token = (await before.auth.login('ops@example.com', 'first password', undefined, undefined)).token;
      await expect(before.auth.authenticate(`Bearer ${token}`)).resolves.toMatchObject({ kind: 'user' });
    } finally {
      await before.close();
    }
    const changed = cli(['users', 'set-password', '--email', 'ops@example.com', '--password', 'second password'], { DATA_DIR });
    expect(changed.code, changed.stderr).toBe(0);
    const after = await open();
    try {
      await expect(after.auth.authenticate(`Bearer ${token}`)).rejects.toMatchObject({ statusCode: 401, message: expect.stringMatching(/password has changed/) as unknown });
      const fresh = (await after.auth.login('ops@example.com', 'second password', undefined, undefined)).token;
      await expect(after.auth.authenticate(`Bearer ${fresh}`)).resolves.toMatchObject({ kind: 'user' });
    } finally {
      await after.close();
    }
  });

  it('serve prints a generated admin password once, serves, and exits cleanly on SIGTERM', async () => {
    const DATA_DIR = dataDir();
    const run = () =>
      new Promise<{ stdout: string; code: number | null }>((resolve, reject) => {
        const child = spawn(tsx, [main, 'serve', '--port', '0', '--log-level', 'info'], { cwd: root, env: { PATH: process.env.PATH, HOME: process.env.HOME, DATA_DIR } });
        let stdout = '';
        child.stdout.on('data', (chunk: Buffer) => {
          stdout += chunk.toString();
          const match = /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(stdout);
          if (match && !stdout.includes('"probed"')) {
            stdout += '"probed"';
            fetch(`${match[1]}/health`)
              .then(async (res) => {
                expect(res.status).toBe(200);
                expect(await res.json()).toMatchObject({ status: 'ok', store: 'sqlite' });
                child.kill('SIGTERM');
              })
              .catch(reject);
          }
        });
        child.on('error', reject);
        child.on('exit', (code) => resolve({ stdout, code }));
      });
    const first = await run();
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/This password is shown only once:[\s\S]*email: +admin@tributary\.local[\s\S]*password: +\S{16,}/);
    expect(fs.statSync(path.join(DATA_DIR, 'secret.key')).mode & 0o777).toBe(0o600);
    const second = await run();
    expect(second.code).toBe(0);
    expect(second.stdout).not.toMatch(/password/);
  }, 60_000);
});
