import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { CHROMIUM_ARGS, ensureChromiumInstalled } from './setup/chromium.js';
import { freePort } from './setup/free-port.js';
import { RedisServer } from './setup/redis-server.js';
import { badgePng, landscapeJpeg } from './utils/demo-images.js';
import { DemoProcess } from './utils/demo-process.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const OUTPUT = join(ROOT, '.test-output');

/**
 * The demo page's chat panel in a real browser (Debian's Chromium driven by
 * playwright-core): two users in two browser contexts, on two instances on one
 * Redis, see each other online, chat, see the other type and read, and see the
 * other go offline. The photo part keeps working beside it.
 *
 * Screenshot: .test-output/demo-chat-page.png on every run; with
 * UPDATE_DOCS_SCREENSHOT=1 also docs/demo-page.png (the README's), which then
 * shows a photo and the chat.
 */
describe('demo web page: chat (Chromium, two instances on Redis)', () => {
  let redis: RedisServer;
  let a: DemoProcess;
  let b: DemoProcess;
  let browser: Browser;
  let dataDir: string;
  let files: string;
  const pageErrors: string[] = [];

  async function openSignedIn(
    demo: DemoProcess,
    userId: string,
  ): Promise<Page> {
    const context = await browser.newContext({
      viewport: { width: 1280, height: 860 },
    });
    const page = await context.newPage();
    page.on('pageerror', error =>
      pageErrors.push(`${userId}: ${error.message}`),
    );
    page.on('console', message => {
      if (message.type() === 'error')
        pageErrors.push(`${userId} console: ${message.text()}`);
    });
    await page.goto(demo.url('/'));
    await page.fill('#user-id', userId);
    await page.click('#signin-button');
    await page
      .locator('#state[data-state="connected"]')
      .waitFor({ timeout: 15_000 });
    await page.locator('#chat').waitFor({ timeout: 10_000 });
    return page;
  }

  const person = (page: Page, userId: string, online: boolean) =>
    page.locator(
      `#people li[data-user-id="${userId}"][data-online="${online}"]`,
    );

  const message = (page: Page, text: string) =>
    page.locator('#messages li.message .text', { hasText: text });

  beforeAll(async () => {
    const executablePath = ensureChromiumInstalled();
    redis = await RedisServer.start();
    dataDir = mkdtempSync(join(tmpdir(), 'demo-chat-data-'));
    files = mkdtempSync(join(tmpdir(), 'demo-chat-files-'));
    writeFileSync(join(files, 'mountains.jpg'), await landscapeJpeg());
    writeFileSync(join(files, 'badge.png'), await badgePng());
    writeFileSync(join(files, 'sunset.jpg'), await landscapeJpeg(1200, 800, 1));
    const env = {
      REDIS_URL: redis.url,
      DATA_DIR: dataDir,
      JWT_SECRET: 'demo-chat-e2e-secret-0123456789abcdef',
      PHOTO_STAGE_MIN_MS: '0',
    };
    [a, b] = await Promise.all([
      DemoProcess.start(await freePort(), env),
      DemoProcess.start(await freePort(), env),
    ]);
    browser = await chromium.launch({
      executablePath,
      args: CHROMIUM_ARGS,
      headless: true,
    });
  }, 600_000);

  afterAll(async () => {
    await browser?.close();
    await Promise.all([a?.stop(), b?.stop()]);
    await redis?.stop();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(files, { recursive: true, force: true });
  });

  it('two users on two instances: online list, messages, typing, read marks, offline', async () => {
    const alice = await openSignedIn(a, 'alice');
    const bob = await openSignedIn(b, 'bob');

    // The directory: each sees the other listed, not yet online (presence is for contacts,
    // those who wrote in a chat with one; the list is asked for again every few seconds).
    await person(alice, 'bob', false).waitFor({ timeout: 15_000 });
    await person(bob, 'alice', false).waitFor({ timeout: 15_000 });

    // The photo part still works beside the chat.
    await alice.setInputFiles('#file-input', [
      join(files, 'mountains.jpg'),
      join(files, 'badge.png'),
      join(files, 'sunset.jpg'),
    ]);
    await alice
      .locator('.photo[data-status="completed"]')
      .nth(2)
      .waitFor({ timeout: 30_000 });

    await alice.click('#people li[data-user-id="bob"] .person');
    await alice.locator('#conversation').waitFor();
    await bob.click('#people li[data-user-id="alice"] .person');
    await bob.locator('#conversation').waitFor();

    // Typing shows on the other side, never on one's own.
    await alice.type('#chat-input', 'Hi Bob, look at my mountains!');
    await bob
      .locator('#typing', { hasText: 'alice is typing' })
      .waitFor({ timeout: 10_000 });
    expect(await alice.locator('#typing').isVisible()).toBe(false);

    await alice.click('#chat-send');
    await message(bob, 'Hi Bob, look at my mountains!').waitFor({
      timeout: 10_000,
    });
    await message(alice, 'Hi Bob, look at my mountains!').waitFor();
    // Bob has the conversation open, so it is read: alice's message gets its read mark.
    await alice
      .locator(
        '#messages li.message[data-mine="true"] .read-mark[data-read="true"]',
      )
      .waitFor({ timeout: 10_000 });
    await bob.locator('#typing').waitFor({ state: 'hidden', timeout: 10_000 });

    await bob.type('#chat-input', 'Beautiful! Where is that?');
    await alice
      .locator('#typing', { hasText: 'bob is typing' })
      .waitFor({ timeout: 10_000 });
    await bob.press('#chat-input', 'Enter');
    await message(alice, 'Beautiful! Where is that?').waitFor({
      timeout: 10_000,
    });
    await alice.type('#chat-input', 'The Alps, last summer.');
    await alice.press('#chat-input', 'Enter');
    await message(bob, 'The Alps, last summer.').waitFor({ timeout: 10_000 });
    await alice
      .locator(
        '#messages li.message[data-mine="true"] .read-mark[data-read="true"]',
      )
      .nth(1)
      .waitFor({ timeout: 10_000 });

    // The picture: bob is typing his answer.
    await bob.type('#chat-input', 'Next year we');
    await alice
      .locator('#typing', { hasText: 'bob is typing' })
      .waitFor({ timeout: 10_000 });
    mkdirSync(OUTPUT, { recursive: true });
    await bob.screenshot({ path: join(OUTPUT, 'demo-chat-page-bob.png') });
    await alice.screenshot({ path: join(OUTPUT, 'demo-chat-page.png') });
    if (process.env.UPDATE_DOCS_SCREENSHOT === '1') {
      mkdirSync(join(ROOT, 'docs'), { recursive: true });
      await alice.screenshot({ path: join(ROOT, 'docs', 'demo-page.png') });
    }

    // Both wrote: each sees the other online now.
    await person(alice, 'bob', true).waitFor({ timeout: 15_000 });
    await person(bob, 'alice', true).waitFor({ timeout: 15_000 });

    // Bob leaves: alice sees him offline (user:status, pushed because he wrote in their chat).
    await bob.context().close();
    await person(alice, 'bob', false).waitFor({ timeout: 15_000 });
    // His typing ended with his connection.
    await alice
      .locator('#typing')
      .waitFor({ state: 'hidden', timeout: 10_000 });
    await expectText(alice, '#chat-peer-status', 'last seen');

    expect(pageErrors).toEqual([]);
    await alice.context().close();
  }, 120_000);
});

async function expectText(page: Page, selector: string, text: string) {
  await page.locator(selector, { hasText: text }).waitFor({ timeout: 10_000 });
}
