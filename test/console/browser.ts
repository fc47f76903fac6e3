import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { CONSOLE_DIR } from '../../src/http/console.js';

/** Chromium for the console tests: Debian's, headless, a fresh profile, nothing but 127.0.0.1. */

export const CHROMIUM = '/usr/bin/chromium';
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SOURCES = join(ROOT, 'console');

function newestMtime(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(path).map((name) => newestMtime(join(path, name))));
}

/** Builds dist/console as `npm run build` does when it is missing or older than console/. */
export function ensureConsoleBuilt(): void {
  const index = join(CONSOLE_DIR, 'index.html');
  if (existsSync(index) && statSync(index).mtimeMs >= newestMtime(SOURCES)) return;
  execFileSync(process.execPath, [join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', 'console', '--outDir', '../dist/console', '--emptyOutDir', '--base', '/console/', '--logLevel', 'warn'], {
    cwd: ROOT,
    stdio: 'inherit',
  });
}

export interface ConsoleBrowser {
  readonly context: BrowserContext;
  /** A new tab that records what went wrong in it (see `problems`). */
  newPage(): Promise<Page>;
  /** Console errors, page errors, failed or refused requests and 4xx/5xx answers, in order. */
  problems(page: Page): string[];
  close(): Promise<void>;
}

export async function launchBrowser(viewport = { width: 1100, height: 720 }): Promise<ConsoleBrowser> {
  const profile = mkdtempSync(join(tmpdir(), 'tributary-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    viewport,
    deviceScaleFactor: 1,
    locale: 'en-GB',
    timezoneId: 'UTC',
  });
  const records = new WeakMap<Page, string[]>();
  const outside: string[] = [];
  await context.route('**/*', async (route) => {
    const url = new URL(route.request().url());
    if (url.hostname === '127.0.0.1') return route.continue();
    outside.push(`a request left 127.0.0.1: ${url.href}`);
    return route.abort('blockedbyclient');
  });
  return {
    context,
    async newPage() {
      const page = await context.newPage();
      const problems: string[] = [];
      records.set(page, problems);
      page.on('console', (message) => {
        if (message.type() === 'error' || message.type() === 'warning') problems.push(`console ${message.type()}: ${message.text()}`);
      });
      page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
      // Streams closed by the page (pause, leaving a page) end as ERR_ABORTED: that is no failure.
      page.on('requestfailed', (request) => {
        const failure = request.failure()?.errorText ?? '';
        if (failure !== 'net::ERR_ABORTED') problems.push(`request failed: ${request.method()} ${request.url()} ${failure}`);
      });
      page.on('response', (response) => {
        if (response.status() >= 400) problems.push(`HTTP ${response.status()}: ${response.request().method()} ${response.url()}`);
      });
      return page;
    },
    problems: (page) => [...outside, ...(records.get(page) ?? [])],
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
