import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, plainBroker, type Broker } from '../support/mqtt-brokers.js';
import { E2E_ADMIN, startTestServer } from '../support/server.js';
import { storeTargets } from '../support/stores.js';
import { waitFor } from '../support/wait.js';
import { CHROMIUM, ensureConsoleBuilt, launchBrowser, type ConsoleBrowser } from './browser.js';

/**
 * Issue 12: the web console in a real Chromium against a real server and
 * broker. Screenshots for the README are written when CONSOLE_SCREENSHOTS=1.
 */

const CI = process.env.CI === 'true';
const HAVE_CHROMIUM = existsSync(CHROMIUM);
const SCREENSHOTS = process.env.CONSOLE_SCREENSHOTS === '1';
if (!HAVE_CHROMIUM && !CI) console.warn(`[tributary tests] test/console skipped: no Chromium at ${CHROMIUM} (apt-get install -y chromium). Under CI=true it fails instead.`);

const docs = (name: string) => fileURLToPath(new URL(`../../docs/console-${name}.png`, import.meta.url));

describe.skipIf(!HAVE_CHROMIUM && !CI)('the web console in Chromium', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let browser: ConsoleBrowser;
  let broker: Broker;
  let peer: mqtt.MqttClient;
  let token: string;
  let appId: string;
  /** Whether GET …/integrationStatusStream exists yet (issue 9, built alongside): the console polls without it. */
  let statusStream: boolean;
  const prefix = `tributary-console/${randomBytes(4).toString('hex')}`;

  async function api<T = Record<string, unknown>>(method: string, path: string, body?: unknown, bearer = token): Promise<{ status: number; body: T }> {
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${bearer}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: (await res.json()) as T };
  }

  const mqttBody = (name: string, topics: string[], port = broker.port) => ({ name, integrationType: 'mqtt', topics, mqttConfig: { host: broker.host, port, protocol: 'mqtt' } });

  async function createIntegration(body: Record<string, unknown>): Promise<string> {
    const res = await api<{ id: string }>('POST', `/applications/${appId}/integrations`, body);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body.id;
  }

  async function connected(id: string): Promise<void> {
    await waitFor(async () => {
      const { body } = await api<{ status: { connectInfo?: { ts: number | null }; nextAttempt?: number } }>('GET', `/applications/${appId}/integrations/${id}`);
      return body.status.connectInfo?.ts && body.status.nextAttempt === undefined ? true : undefined;
    }, `integration ${id} to connect`);
  }

  /** A page signed in as the admin, on the console's start page. */
  async function signedIn(): Promise<Page> {
    const page = await browser.newPage();
    await page.goto(`${server.url}/console/`);
    await page.getByLabel('Email').fill(E2E_ADMIN.email);
    await page.getByLabel('Password').fill(E2E_ADMIN.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Applications', level: 1 }).waitFor();
    return page;
  }

  const row = (page: Page, name: string) => page.getByRole('row').filter({ has: page.getByRole('link', { name, exact: true }) });

  async function textOf(page: Page, selector: string): Promise<string> {
    return (await page.locator(selector).textContent()) ?? '';
  }

  /** Whether the server has the application's status stream (opened, then closed at once). */
  async function statusStreamExists(): Promise<boolean> {
    const abort = new AbortController();
    const res = await fetch(`${server.url}/applications/${appId}/integrationStatusStream`, { headers: { authorization: `Bearer ${token}` }, signal: abort.signal });
    abort.abort();
    return res.status !== 404;
  }

  /** What went wrong in the page, but for the 404 of a status stream this server does not have yet. */
  function problems(page: Page): string[] {
    return browser.problems(page).filter((p) => statusStream || !(p.includes('/integrationStatusStream') || p.includes('status of 404')));
  }

  /** Whether the server has `method path` at all (a 404 naming the route says it has not). */
  async function endpointExists(method: string, path: string, body?: unknown): Promise<boolean> {
    const res = await api<{ message?: string }>(method, path, body);
    return !(res.status === 404 && res.body.message?.startsWith('Route '));
  }

  beforeAll(async () => {
    if (!HAVE_CHROMIUM) throw new Error(`CI=true requires Chromium at ${CHROMIUM} for the console tests (apt-get install -y chromium)`);
    ensureConsoleBuilt();
    server = await startTestServer(storeTargets()[0]!, { reconnectBase: 200, reconnectMax: 1000, connectTimeout: 3000 });
    broker = await plainBroker();
    peer = await mqtt.connectAsync({ ...broker.peerOptions, reconnectPeriod: 0 });
    const login = await fetch(`${server.url}/auth/user`, { method: 'POST', body: JSON.stringify(E2E_ADMIN), headers: { 'content-type': 'application/json' } });
    token = ((await login.json()) as { token: string }).token;
    appId = (await api<{ id: string }>('POST', '/applications', { name: 'Plant A', description: 'Sensors of the first plant' })).body.id;
    await api('POST', '/applications', { name: 'Plant B' });
    statusStream = await statusStreamExists();
    if (!statusStream) console.warn('[tributary tests] GET /applications/{applicationId}/integrationStatusStream is missing on this server: the console polls the list instead, and its 404 is not counted as a page error.');
    browser = await launchBrowser();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await peer?.endAsync();
    await server?.stop();
    await broker?.close();
  });

  it('loads with no error in the browser console, signed out and signed in', async () => {
    const page = await browser.newPage();
    const response = await page.goto(`${server.url}/`);
    expect(new URL(page.url()).pathname).toBe('/console/');
    expect(response?.headers()['content-security-policy']).toContain("default-src 'self'");
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    await page.waitForLoadState('networkidle');
    expect(browser.problems(page)).toEqual([]);

    await page.getByLabel('Email').fill(E2E_ADMIN.email);
    await page.getByLabel('Password').fill(E2E_ADMIN.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('link', { name: 'Plant A', exact: true }).waitFor();
    expect(await page.getByRole('link', { name: 'Plant B', exact: true }).count()).toBe(1);
    // The token stays in this tab: a reload keeps the session, with nothing failing either.
    await page.reload();
    await page.getByRole('link', { name: 'Plant A', exact: true }).waitFor();
    await page.waitForLoadState('networkidle');
    expect(browser.problems(page)).toEqual([]);
    expect(await page.evaluate<string>('location.href')).not.toContain(token);
    await page.close();
  });

  it('refuses a wrong password with the API message, keeping the form', async () => {
    const page = await browser.newPage();
    await page.goto(`${server.url}/console/`);
    await page.getByLabel('Email').fill(E2E_ADMIN.email);
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('alert').textContent()).toMatch(/email|password/i);
    await page.close();
  });

  it('lists integrations with live status words, changing without a reload when the API disables one', async () => {
    const up = await createIntegration(mqttBody('Line 1', [`${prefix}/line1/#`]));
    const other = await createIntegration(mqttBody('Line 2', [`${prefix}/line2/#`]));
    await createIntegration(mqttBody('Line 3 (no broker)', [`${prefix}/line3/#`], await freePort()));
    await Promise.all([connected(up), connected(other)]);

    const page = await signedIn();
    await page.getByRole('link', { name: 'Plant A', exact: true }).click();
    await page.getByRole('heading', { name: 'Plant A', level: 1 }).waitFor();
    await row(page, 'Line 1').getByText('connected', { exact: true }).waitFor();
    await row(page, 'Line 2').getByText('connected', { exact: true }).waitFor();
    const broken = row(page, 'Line 3 (no broker)');
    await broken.getByText(/^(reconnecting|connecting)$/).waitFor();
    await broken.getByText(/ECONNREFUSED|refused/i).waitFor();
    await broken.getByText(/^in \d+ s$/).waitFor();
    if (SCREENSHOTS) await page.screenshot({ path: docs('integrations') });

    await page.evaluate('window.notReloaded = true');
    let listReads = 0;
    page.on('request', (request) => {
      if (new URL(request.url()).pathname === `/applications/${appId}/integrations`) listReads++;
    });
    expect((await api('PATCH', `/applications/${appId}/integrations/${other}`, { enabled: false })).status).toBe(200);
    await row(page, 'Line 2').getByText('disabled', { exact: true }).waitFor({ timeout: 5000 });
    expect(await row(page, 'Line 1').getByText('connected', { exact: true }).count()).toBe(1);
    expect(await page.evaluate<boolean>('window.notReloaded')).toBe(true);
    // With the status stream the change came without reading the list again; without it, by polling.
    if (statusStream) expect(listReads).toBe(0);
    else expect(listReads).toBeGreaterThan(0);

    // And back from the console: the row's own button enables it again.
    await page.getByRole('button', { name: 'Enable Line 2' }).click();
    await row(page, 'Line 2').getByText('connected', { exact: true }).waitFor({ timeout: 10_000 });

    // Sorting and filtering as the API has them.
    await page.getByRole('button', { name: /^Name/ }).click();
    await waitFor(async () => ((await page.locator('tbody tr td:first-child').first().textContent()) === 'Line 3 (no broker)' ? true : undefined), 'descending order');
    await page.getByLabel('Filter', { exact: true }).fill('line 1*');
    await page.getByRole('button', { name: 'Filter', exact: true }).click();
    await waitFor(async () => ((await page.locator('tbody tr').count()) === 1 ? true : undefined), 'the filtered list');
    expect(await textOf(page, '.pager')).toContain('(1 integrations)');
    expect(problems(page)).toEqual([]);
    await page.close();
  }, 60_000);

  it('shows the API validation message at the field it names, then creates the integration', async () => {
    const page = await signedIn();
    await page.goto(`${server.url}/console/#/applications/${appId}/integrations/new`);
    await page.getByLabel('Name').first().fill('Bad port');
    await page.getByLabel('Topics').fill(`${prefix}/new/#`);
    await page.getByLabel('Host').fill(broker.host);
    await page.getByLabel('Port').fill('70000');
    await page.getByRole('button', { name: 'Create integration' }).click();
    const port = page.getByLabel('Port');
    await page.locator('#config-port-error').waitFor();
    expect(await textOf(page, '#config-port-error')).toMatch(/^mqttConfig\.port must be/);
    expect(await port.getAttribute('aria-invalid')).toBe('true');
    expect(await port.getAttribute('aria-describedby')).toContain('config-port-error');
    expect(await page.evaluate<string>('document.activeElement?.id')).toBe('config-port');
    if (SCREENSHOTS) await page.screenshot({ path: docs('new-integration'), fullPage: false });

    await port.fill(String(broker.port));
    await page.getByRole('button', { name: 'Create integration' }).click();
    await page.getByRole('heading', { name: 'Bad port', level: 1 }).waitFor();
    await page.locator('dl.summary').getByText('connected', { exact: true }).waitFor({ timeout: 10_000 });
    await page.close();
  }, 60_000);

  it('shows the fields of each type, edits an integration, disables it from its page, and deletes it after a confirmation', async () => {
    const page = await signedIn();
    await page.goto(`${server.url}/console/#/applications/${appId}/integrations/new`);
    await page.getByLabel('Type').selectOption('websocket');
    expect(await page.getByLabel('Host').count()).toBe(0);
    await page.getByLabel('Name').first().fill('Socket');
    await page.getByLabel('URL').fill('http://127.0.0.1:1/stream');
    await page.getByRole('button', { name: 'Create integration' }).click();
    await page.locator('#config-url-error').waitFor();
    expect(await textOf(page, '#config-url-error')).toBe('websocketConfig.url must start with ws:// or wss://');
    await page.getByLabel('Type').selectOption('mqtt');
    await page.getByLabel('Host').fill(broker.host);
    await page.getByLabel('Port').fill(String(broker.port));
    await page.getByRole('button', { name: 'Create integration' }).click();
    await page.getByRole('heading', { name: 'Socket', level: 1 }).waitFor();

    await page.getByRole('link', { name: 'Edit' }).click();
    await page.getByRole('heading', { name: 'Edit Socket', level: 1 }).waitFor();
    expect(await page.getByLabel('Port').inputValue()).toBe(String(broker.port));
    await page.getByLabel('Name').first().fill('Socket renamed');
    await page.getByLabel('Topics').fill(`${prefix}/edited/#`);
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('heading', { name: 'Socket renamed', level: 1 }).waitFor();
    await page.locator('dl.summary').getByText(`${prefix}/edited/#`).waitFor();

    await page.getByRole('button', { name: 'Disable' }).click();
    await page.locator('dl.summary').getByText('disabled', { exact: true }).waitFor();
    // The history follows the status without a Refresh.
    await page.getByRole('cell', { name: 'disabled', exact: true }).first().waitFor({ timeout: 5000 });
    await page.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('group', { name: 'Confirm deletion' }).waitFor();
    await page.getByRole('button', { name: 'Yes, delete' }).click();
    await page.getByRole('heading', { name: 'Plant A', level: 1 }).waitFor();
    const names = (await api<{ items: { name: string }[] }>('GET', `/applications/${appId}/integrations`)).body.items.map((i) => i.name);
    expect(names).not.toContain('Socket renamed');
    await page.close();
  }, 60_000);

  it('tests a connection with the form values (probe)', async (ctx) => {
    const probePath = `/applications/${appId}/integrations/probe`;
    if (!(await endpointExists('POST', probePath, mqttBody('probe', []))))
      ctx.skip('POST /applications/{applicationId}/integrations/probe is not implemented on this server yet');
    const page = await signedIn();
    await page.goto(`${server.url}/console/#/applications/${appId}/integrations/new`);
    await page.getByLabel('Name').first().fill('Probe me');
    await page.getByLabel('Host').fill(broker.host);
    await page.getByLabel('Port').fill(String(broker.port));
    await page.getByRole('button', { name: 'Test connection' }).click();
    await page.getByText(/^Connected in \d+ ms\.$/).waitFor({ timeout: 10_000 });
    await page.getByLabel('Port').fill(String(await freePort()));
    await page.getByRole('button', { name: 'Test connection' }).click();
    await page.getByText(/^Could not connect: /).waitFor({ timeout: 10_000 });
    // Nothing was stored.
    const list = await api<{ items: { name: string }[] }>('GET', `/applications/${appId}/integrations`);
    expect(list.body.items.map((i) => i.name)).not.toContain('Probe me');
    await page.close();
  }, 60_000);

  it('shows a published message in the live tail, publishes from the form, and lists the connection history', async () => {
    const id = await createIntegration(mqttBody('Tail', [`${prefix}/tail/#`]));
    await connected(id);
    const page = await signedIn();
    await page.getByRole('link', { name: 'Plant A', exact: true }).click();
    await page.getByRole('link', { name: 'Tail', exact: true }).click();
    const tail = page.getByRole('region', { name: 'Live messages' });
    await tail.getByText('Live', { exact: true }).waitFor();

    await peer.publishAsync(`${prefix}/tail/a`, 'hello from the broker', { qos: 1 });
    await tail.getByText('hello from the broker').waitFor();
    expect(await tail.getByText(`${prefix}/tail/a`).count()).toBe(1);

    await page.getByLabel('Topic', { exact: true }).fill(`${prefix}/tail/b`);
    await page.getByLabel('Message', { exact: true }).fill('from the console');
    await page.getByRole('button', { name: 'Publish', exact: true }).click();
    await page.getByText('Published.').waitFor();
    await tail.getByText('from the console').waitFor();

    await page.getByRole('button', { name: 'Refresh' }).click();
    await page.getByRole('cell', { name: 'connected', exact: true }).first().waitFor();
    if (SCREENSHOTS) await page.screenshot({ path: docs('integration'), fullPage: true });
    expect(problems(page)).toEqual([]);
    await page.close();
  }, 60_000);

  it('pauses the live tail and resumes from the last id, missing nothing', async (ctx) => {
    const id = await createIntegration(mqttBody('Resume', [`${prefix}/resume/#`]));
    await connected(id);
    if (!(await streamCarriesIds(`/applications/${appId}/integrations/${id}/messageStream`, `${prefix}/resume/probe`)))
      ctx.skip('messageStream events carry no SSE id on this server yet (Last-Event-ID resume, SPEC §6)');
    const page = await signedIn();
    await page.goto(`${server.url}/console/#/applications/${appId}/integrations/${id}`);
    const tail = page.getByRole('region', { name: 'Live messages' });
    await tail.getByText('Live', { exact: true }).waitFor();
    await peer.publishAsync(`${prefix}/resume/x`, 'before the pause', { qos: 1 });
    await tail.getByText('before the pause').waitFor();
    await tail.getByRole('button', { name: 'Pause' }).click();
    await tail.getByText('Paused', { exact: true }).waitFor();
    await peer.publishAsync(`${prefix}/resume/x`, 'during the pause', { qos: 1 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await tail.getByText('during the pause').count()).toBe(0);
    await tail.getByRole('button', { name: 'Resume' }).click();
    await tail.getByText('during the pause').waitFor();
    expect(await tail.getByText('before the pause').count()).toBe(1);
    await page.close();
  }, 60_000);

  it('creates an application token, shows it once, and revokes it', async () => {
    const page = await signedIn();
    await page.getByRole('link', { name: 'Plant A', exact: true }).click();
    await page.getByRole('link', { name: 'Application tokens' }).click();
    await page.getByLabel('Name').fill('deploy bot');
    await page.getByRole('button', { name: 'Create token' }).click();
    const shown = page.getByLabel('Token', { exact: true });
    await shown.waitFor();
    const created = await shown.inputValue();
    expect(created).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    expect((await api('GET', `/applications/${appId}`, undefined, created)).status).toBe(200);
    const tokenRow = page.getByRole('row').filter({ hasText: 'deploy bot' });
    await tokenRow.getByRole('cell', { name: 'active', exact: true }).waitFor();
    if (SCREENSHOTS) await page.screenshot({ path: docs('tokens') });

    await page.getByRole('button', { name: 'Revoke deploy bot' }).click();
    await tokenRow.getByRole('cell', { name: 'inactive', exact: true }).waitFor();
    expect((await api('GET', `/applications/${appId}`, undefined, created)).status).toBe(401);
    await page.reload();
    await page.getByRole('row').filter({ hasText: 'deploy bot' }).waitFor();
    expect(await page.content()).not.toContain(created);
    await page.close();
  }, 60_000);

  /** Publishes one message and reads the raw stream until it arrives: does its event carry an `id:` line? */
  async function streamCarriesIds(path: string, topic: string): Promise<boolean> {
    const abort = new AbortController();
    try {
      const res = await fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${token}` }, signal: abort.signal });
      const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
      await peer.publishAsync(topic, 'id probe', { qos: 1 });
      let text = '';
      while (!text.includes('id probe')) {
        const { done, value } = await reader.read();
        if (done) break;
        text += value;
      }
      const block = text.split('\n\n').find((b) => b.includes('id probe')) ?? '';
      return /^id:/m.test(block);
    } finally {
      abort.abort();
    }
  }
});
