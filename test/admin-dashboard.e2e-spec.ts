import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { AdminOverview } from '@shared-infra/event-bus/admin';
import { Redis } from 'ioredis';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { RedisStreamStore } from '../libs/event-bus/src/transports/redis/redis-stream.store.js';
import { CHROMIUM_ARGS, ensureChromiumInstalled } from './setup/chromium.js';
import { freePort } from './setup/free-port.js';
import { RedisServer } from './setup/redis-server.js';
import { waitUntil } from './utils/collector.js';
import { landscapeJpeg } from './utils/demo-images.js';
import { DemoProcess } from './utils/demo-process.js';
import { connectClient, type TestClient } from './utils/gateway-client.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const OUTPUT = join(ROOT, '.test-output');
const GROUP = 'photo-service.PhotoProcessingHandler.process';
/** Attacker-controlled text, as a publisher could put it in an event (and a handler in its error). */
const XSS_FILENAME = '<img src=x onerror=window.__xss=1>.jpg';
const XSS_ERROR = '<script>window.__xss=2</script><b>handler gave up</b>';

/**
 * The admin dashboard in Chromium (playwright-core, Debian's browser) against
 * the demo on Redis: the page asks for a token (the demo's guard wants the
 * `admin` permission), shows the instance with its socket, the photo stream
 * and its group, sees a dead letter appear without a reload, shows its
 * attacker-controlled payload and error as text, and replays it.
 *
 * Screenshot: .test-output/admin-dashboard.png on every run; with
 * UPDATE_DOCS_SCREENSHOT=1 also docs/admin-dashboard.png (the README's).
 */
describe('admin dashboard (Chromium, the demo on Redis)', () => {
  let redis: RedisServer;
  let raw: Redis;
  let demo: DemoProcess;
  let browser: Browser;
  let page: Page;
  let dataDir: string;
  let client: TestClient | undefined;
  let adminToken: string;
  const pageErrors: string[] = [];

  const token = async (body: Record<string, unknown>) =>
    (
      await demo.json<{ token: string }>('/auth/token', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      })
    ).body.token;
  const overview = async () =>
    (
      await demo.json<AdminOverview>('/admin/event-bus/api/overview', {
        headers: { authorization: `Bearer ${adminToken}` },
      })
    ).body;

  beforeAll(async () => {
    const executablePath = ensureChromiumInstalled();
    redis = await RedisServer.start();
    raw = new Redis(redis.url);
    dataDir = mkdtempSync(join(tmpdir(), 'admin-dashboard-data-'));
    demo = await DemoProcess.start(await freePort(), {
      REDIS_URL: redis.url,
      DATA_DIR: dataDir,
      JWT_SECRET: 'admin-dashboard-e2e-secret-0123456789abcdef',
      PHOTO_STAGE_MIN_MS: '300',
    });
    adminToken = await token({ userId: 'ops', admin: true });
    browser = await chromium.launch({
      executablePath,
      args: CHROMIUM_ARGS,
      headless: true,
    });
    const context = await browser.newContext({
      viewport: { width: 1440, height: 980 },
    });
    page = await context.newPage();
    page.on('pageerror', error => pageErrors.push(error.message));
    page.on('console', message => {
      // Failed requests are judged below, by their address.
      if (
        message.type() === 'error' &&
        !message.text().startsWith('Failed to load resource')
      )
        pageErrors.push(`console: ${message.text()}`);
    });
    // The 401 and 403 of the sign-in steps are expected, and the favicon the page does not have.
    page.on('response', response => {
      if (
        response.status() >= 400 &&
        ![401, 403].includes(response.status()) &&
        !response.url().endsWith('/favicon.ico')
      )
        pageErrors.push(`${response.status()} ${response.url()}`);
    });
    page.on('dialog', dialog => void dialog.accept());
  }, 120_000);

  afterAll(async () => {
    client?.close();
    await browser?.close();
    await demo?.stop();
    raw?.disconnect();
    await redis?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('asks for a token with the admin permission, then shows the instance, its socket, the stream and its group', async () => {
    await page.goto(demo.url('/admin/event-bus'));
    await page
      .locator('#status.error', { hasText: '401' })
      .waitFor({ timeout: 10_000 });

    await page.fill('#token', await token({ userId: 'someone' }));
    await page.click('#token-form button');
    await page
      .locator('#status.error', { hasText: 'needs the "admin" permission' })
      .waitFor({ timeout: 10_000 });

    await page.fill('#token', adminToken);
    await page.click('#token-form button');
    await page
      .locator('#summary', { hasText: 'redis transport' })
      .waitFor({ timeout: 10_000 });

    // A browser on the demo's gateway: the dashboard counts its socket and user.
    client = await connectClient(demo.url(''), {
      token: await token({ userId: 'alice' }),
    });
    const row = page.locator(
      `#instances tr[data-instance="${client.established.instanceId}"]`,
    );
    await row.waitFor({ timeout: 10_000 });
    // Its sockets column (the page's CSP refuses waitForFunction's eval, rightly).
    await row
      .locator('td:nth-child(3)', { hasText: /^1$/ })
      .waitFor({ timeout: 10_000 });
    await page
      .locator(`#groups tr[data-group="photo/${GROUP}"]`)
      .waitFor({ timeout: 10_000 });
    expect(pageErrors).toEqual([]);
  });

  it('sees a dead letter appear live, shows its payload and error as text (no HTML runs), and replays it', async () => {
    // Some traffic for the rates: one photo through the demo's worker.
    const form = new FormData();
    form.append(
      'photo',
      new Blob([new Uint8Array(await landscapeJpeg())], { type: 'image/jpeg' }),
      'mountains.jpg',
    );
    const upload = await fetch(demo.url('/photos'), {
      method: 'POST',
      body: form,
      headers: { authorization: `Bearer ${await token({ userId: 'alice' })}` },
    });
    expect(upload.status).toBe(202);

    // A handler gave up on an event whose data and error carry HTML: written as the bus writes it.
    const store = new RedisStreamStore({
      prefix: 'eventbus:',
      trim: { strategy: 'maxlen', maxLength: 1000 },
      deadLetterMaxLength: 1000,
      command: raw,
      createReader: () => raw,
      subscribeControl: async () => undefined,
    });
    const now = new Date().toISOString();
    const event = {
      id: 'evt-xss-1',
      type: 'photo.uploaded',
      data: {
        photoId: 'missing-photo',
        userId: 'alice',
        filename: XSS_FILENAME,
        size: 1234,
        mimeType: 'image/jpeg',
        uploadedAt: now,
      },
      metadata: { source: 'intruder', timestamp: now, traceId: 'trace-xss' },
      version: 1,
    };
    await store.deadLetter(
      'photo',
      { id: '1-1', payload: JSON.stringify(event) },
      {
        group: GROUP,
        handler: 'PhotoProcessingHandler.process',
        error: XSS_ERROR,
        stack: `Error: ${XSS_ERROR}\n    at somewhere`,
        attempts: 3,
        firstFailureAt: now,
        lastFailureAt: now,
      },
    );

    // No reload: the page polls.
    const letter = page.locator('#dead-letters tr[data-stream="photo"]');
    await letter.waitFor({ timeout: 10_000 });
    const payloadText = (await letter.locator('pre.payload').textContent())!;
    expect(payloadText).toContain(XSS_FILENAME);
    expect(await letter.locator('pre.bad').textContent()).toBe(XSS_ERROR);
    expect(
      await page
        .locator('#dead-letters img, #dead-letters script, #dead-letters b')
        .count(),
    ).toBe(0);
    expect(
      await page.evaluate(() => (globalThis as { __xss?: unknown }).__xss),
    ).toBeUndefined();

    // Wait for the worker's figures to show, for the picture (not a check of timing).
    await page
      .locator('#rates tr[data-type^="photo."]')
      .first()
      .waitFor({ timeout: 15_000 });
    mkdirSync(OUTPUT, { recursive: true });
    await page.screenshot({
      path: join(OUTPUT, 'admin-dashboard.png'),
      fullPage: true,
    });
    if (process.env.UPDATE_DOCS_SCREENSHOT === '1')
      await page.screenshot({
        path: join(ROOT, 'docs', 'admin-dashboard.png'),
        fullPage: true,
      });

    await letter.locator('button[data-action="replay"]').click();
    await page
      .locator('#status', { hasText: `to group ${GROUP}` })
      .waitFor({ timeout: 10_000 });
    await page
      .locator('#dead-letters tr[data-stream="photo"]')
      .waitFor({ state: 'detached', timeout: 10_000 });
    // Back in its group's stream and handled there: nothing left pending or unread.
    await waitUntil(
      async () => {
        const { streams, deadLetters } = await overview();
        const group = streams
          .find(s => s.stream === 'photo')
          ?.groups.find(g => g.group === GROUP);
        return deadLetters === 0 && group?.pending === 0 && group.lag === 0;
      },
      15_000,
      'the replayed event handled',
    );
    expect(
      await page.evaluate(() => (globalThis as { __xss?: unknown }).__xss),
    ).toBeUndefined();
    expect(pageErrors).toEqual([]);
  }, 60_000);
});
