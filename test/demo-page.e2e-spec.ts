import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { CHROMIUM_ARGS, ensureChromiumInstalled } from './setup/chromium.js';
import { freePort } from './setup/free-port.js';
import { RedisServer } from './setup/redis-server.js';
import { DemoProcess } from './utils/demo-process.js';
import { badgePng, landscapeJpeg, truncatedJpeg } from './utils/demo-images.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const OUTPUT = join(ROOT, '.test-output');
const USER = 'demo-user';

/**
 * The demo page in a real browser (Debian's Chromium driven by playwright-core)
 * against two demo instances on one Redis: uploads on instance A, a second
 * page of the same user on instance B sees the same progress and
 * notifications, and catches up after its instance restarts.
 *
 * Screenshot: .test-output/demo-page.png on every run (the README's, docs/demo-page.png,
 * comes from demo-chat-page.e2e-spec.ts).
 */
describe('demo web page (Chromium, two instances on Redis)', () => {
  let redis: RedisServer;
  let a: DemoProcess;
  let b: DemoProcess;
  let browser: Browser;
  let pageA: Page;
  let pageB: Page;
  let files: string;
  let dataDir: string;
  let env: Record<string, string>;
  const pageErrors: string[] = [];

  async function openSignedIn(demo: DemoProcess, label: string): Promise<Page> {
    const context = await browser.newContext({
      viewport: { width: 1280, height: 860 },
    });
    const page = await context.newPage();
    page.on('pageerror', error =>
      pageErrors.push(`${label}: ${error.message}`),
    );
    page.on('console', message => {
      if (message.type() === 'error')
        pageErrors.push(`${label} console: ${message.text()}`);
    });
    await page.goto(demo.url('/'));
    await expectLocator(page.locator('.dev-note')).toContainText(
      'Development token — demo only',
    );
    await page.fill('#user-id', USER);
    await page.click('#signin-button');
    await page
      .locator('#state[data-state="connected"]')
      .waitFor({ timeout: 15_000 });
    return page;
  }

  /**
   * Records every progress value and connection state the page shows, as they
   * change (browser code as a string: this project's TypeScript has no DOM types).
   */
  async function recordChanges(page: Page): Promise<void> {
    await page.evaluate(`(() => {
      window.progressSeen = {};
      window.statesSeen = [];
      // Several changes may come in one batch: each record's old value, then the current one.
      const add = (list, value) => {
        if (value !== null && value !== undefined && list.at(-1) !== value) list.push(value);
      };
      new MutationObserver(mutations => {
        const touched = new Set();
        for (const mutation of mutations) {
          const target = mutation.target;
          touched.add(target);
          if (target.id === 'state' && mutation.oldValue !== null) add(window.statesSeen, mutation.oldValue);
          if (target.classList.contains('bar') && mutation.oldValue !== null) {
            add((window.progressSeen[target.closest('.photo').dataset.photoId] ??= []), Number(mutation.oldValue));
          }
        }
        for (const target of touched) {
          if (target.id === 'state') add(window.statesSeen, target.dataset.state);
          if (target.classList.contains('bar')) add((window.progressSeen[target.closest('.photo').dataset.photoId] ??= []), Number(target.dataset.progress));
        }
      }).observe(document.body, { subtree: true, attributes: true, attributeOldValue: true, attributeFilter: ['data-progress', 'data-state'] });
    })()`);
  }

  const completed = (page: Page) =>
    page.locator('.photo[data-status="completed"]');

  beforeAll(async () => {
    const executablePath = ensureChromiumInstalled();
    redis = await RedisServer.start();
    dataDir = mkdtempSync(join(tmpdir(), 'demo-page-data-'));
    files = mkdtempSync(join(tmpdir(), 'demo-page-files-'));
    writeFileSync(join(files, 'mountains.jpg'), await landscapeJpeg());
    writeFileSync(join(files, 'badge.png'), await badgePng());
    writeFileSync(join(files, 'sunset.jpg'), await landscapeJpeg(1200, 800, 1));
    writeFileSync(
      join(files, 'harbor.jpg'),
      await landscapeJpeg(2400, 1350, 2),
    );
    writeFileSync(join(files, 'broken.jpg'), await truncatedJpeg());
    // Both instances share Redis, the JWT secret and the upload folder, as in docker-compose.
    env = {
      REDIS_URL: redis.url,
      DATA_DIR: dataDir,
      JWT_SECRET: 'demo-page-e2e-secret-0123456789abcdef',
      PHOTO_STAGE_MIN_MS: '300',
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

  it('uploads two photos on instance A: both bars go through every stage to 100%, and the same user on instance B sees it all', async () => {
    pageA = await openSignedIn(a, 'A');
    pageB = await openSignedIn(b, 'B');
    await recordChanges(pageA);
    await recordChanges(pageB);

    // Each page lists the other as one of the user's devices (across instances).
    const deviceOfA = await pageA.locator('#this-device').textContent();
    const deviceOfB = await pageB.locator('#this-device').textContent();
    await pageA
      .locator(`#devices li[data-client-id="${deviceOfB}"]`)
      .waitFor({ timeout: 10_000 });
    await pageB
      .locator(`#devices li[data-client-id="${deviceOfA}"]`)
      .waitFor({ timeout: 10_000 });
    const instanceA = await pageA.locator('#instance').textContent();
    expect(instanceA).toMatch(/^instance [0-9a-f]{8}$/);
    expect(await pageB.locator('#instance').textContent()).not.toBe(instanceA);

    await pageA.setInputFiles('#file-input', [
      join(files, 'mountains.jpg'),
      join(files, 'badge.png'),
    ]);
    await expectLocator(pageA.locator('.photo')).toHaveCount(2);
    await completed(pageA).nth(1).waitFor({ timeout: 30_000 });
    await completed(pageB).nth(1).waitFor({ timeout: 30_000 });

    for (const page of [pageA, pageB]) {
      const cards = page.locator('.photo');
      expect(await cards.count()).toBe(2);
      expect(await page.locator('.photo .name').allTextContents()).toEqual(
        expect.arrayContaining(['mountains.jpg', 'badge.png']),
      );
      expect(
        await page
          .locator('.photo .bar')
          .evaluateAll(bars =>
            bars.map(bar => bar.getAttribute('data-progress')),
          ),
      ).toEqual(['100', '100']);
      // The thumbnails the worker made (160 px WebP) are shown.
      await page.waitForFunction(
        `[...document.querySelectorAll('.photo .thumb img')].filter(img => img.complete && img.naturalWidth === 160).length === 2`,
      );
      // The notifications came to the user's room: two, one per photo.
      await page.locator('#notifications li').nth(1).waitFor();
      expect(
        await page.locator('#notifications li .title').allTextContents(),
      ).toEqual(['Your photo is ready!', 'Your photo is ready!']);
    }
    // The bars moved through the four stages, live, on both pages.
    for (const page of [pageA, pageB]) {
      const seen = (await page.evaluate('window.progressSeen')) as Record<
        string,
        number[]
      >;
      const real = Object.entries(seen).filter(
        ([id]) => !id.startsWith('local-'),
      );
      expect(real).toHaveLength(2);
      for (const [, values] of real)
        expect(values.filter(v => v > 0)).toEqual([25, 50, 75, 100]);
    }

    mkdirSync(OUTPUT, { recursive: true });
    await pageA.screenshot({
      path: join(OUTPUT, 'demo-page.png'),
      fullPage: true,
    });
    await pageB.screenshot({
      path: join(OUTPUT, 'demo-page-b.png'),
      fullPage: true,
    });
  }, 120_000);

  it('page B catches up on what it missed while its instance restarted (recovery from the room history)', async () => {
    expect(await b.stop()).toEqual({ code: null, signal: 'SIGTERM' });
    await pageB
      .locator('#state[data-state="disconnected"]')
      .waitFor({ timeout: 10_000 });

    await pageA.setInputFiles('#file-input', join(files, 'sunset.jpg'));
    await completed(pageA).nth(2).waitFor({ timeout: 30_000 });
    await pageA.locator('#notifications li').nth(2).waitFor();

    b = await DemoProcess.start(b.port, env);
    await pageB
      .locator('#state[data-state="connected"]')
      .waitFor({ timeout: 30_000 });
    await completed(pageB).nth(2).waitFor({ timeout: 15_000 });
    await pageB
      .locator('#notifications li')
      .nth(2)
      .waitFor({ timeout: 15_000 });
    // The name comes with photo.uploaded, or (should the page meet the photo through a later event) from its refetch.
    await expectLocator(pageB.locator('.photo .name').first()).toContainText(
      'sunset.jpg',
    );
    const states = (await pageB.evaluate('window.statesSeen')) as string[];
    expect(states.slice(-3)).toEqual([
      'disconnected',
      'recovering',
      'connected',
    ]);
    // The missed events were replayed (the page did not have to refetch the list).
    expect(await pageB.locator('#events').textContent()).not.toMatch(
      /recovery/,
    );
  }, 120_000);

  it('a corrupt image fails visibly, with an error notification on both pages; a non-image is refused at upload', async () => {
    await pageA.setInputFiles('#file-input', [
      join(files, 'broken.jpg'),
      join(files, 'harbor.jpg'),
    ]);
    // A picture of the page at work: one photo failed, one on its way.
    // (A picture, not a check: should the stage be missed, the screenshot shows a later moment.)
    await pageA
      .locator(
        '.photo[data-status="processing"] .bar:is([data-progress="25"], [data-progress="50"], [data-progress="75"])',
      )
      .waitFor({ timeout: 15_000 })
      .catch(() => undefined);
    await pageA.screenshot({
      path: join(OUTPUT, 'demo-page-live.png'),
      fullPage: true,
    });
    await completed(pageA).nth(3).waitFor({ timeout: 30_000 });
    await completed(pageB).nth(3).waitFor({ timeout: 30_000 });
    for (const page of [pageA, pageB]) {
      const failed = page.locator('.photo[data-status="failed"]');
      await failed.waitFor({ timeout: 30_000 });
      await expectLocator(failed.locator('.status')).toContainText(
        'could not be decoded',
      );
      await page
        .locator('#notifications li.error')
        .waitFor({ timeout: 10_000 });
      expect(
        await page.locator('#notifications li.error .title').textContent(),
      ).toBe('Photo processing failed');
    }

    const notImage = join(files, 'notes.jpg');
    writeFileSync(notImage, '<html>not a photo</html>');
    await pageA.setInputFiles('#file-input', notImage);
    const rejected = pageA.locator('.photo[data-status="rejected"]');
    await rejected.waitFor({ timeout: 10_000 });
    await expectLocator(rejected.locator('.status')).toContainText(
      'not a JPEG, PNG, WebP or GIF image',
    );
    // Expected noise: the refused upload's 415, and page B's reconnect attempts while its instance was down.
    expect(
      pageErrors.filter(e => !/status of 415|ERR_CONNECTION_REFUSED/.test(e)),
    ).toEqual([]);
  }, 60_000);

  it("deleting a photo on page A removes it from both pages (photo.deleted in the owner's room); it stays gone after a reload", async () => {
    const harbor = (page: typeof pageA) =>
      page.locator('.photo', { hasText: 'harbor.jpg' });
    await harbor(pageA).waitFor();
    await harbor(pageB).waitFor();
    const before = await pageB.locator('.photo').count();
    await harbor(pageA).locator('button.delete').click();
    for (const page of [pageA, pageB])
      await expectLocator(harbor(page)).toHaveCount(0);
    expect(await pageB.locator('.photo').count()).toBe(before - 1);
    await pageB.reload();
    await pageB.locator('.photo').first().waitFor({ timeout: 10_000 });
    await expectLocator(harbor(pageB)).toHaveCount(0);
  }, 60_000);

  it('works the same on one instance with the embedded memory transport (npm start without REDIS_URL)', async () => {
    const memoryData = mkdtempSync(join(tmpdir(), 'demo-page-memory-'));
    const single = await DemoProcess.start(await freePort(), {
      REDIS_URL: undefined,
      DATA_DIR: memoryData,
      PHOTO_STAGE_MIN_MS: '100',
    });
    try {
      const page = await openSignedIn(single, 'memory');
      await page.setInputFiles('#file-input', join(files, 'badge.png'));
      await completed(page).first().waitFor({ timeout: 30_000 });
      expect(
        await page.locator('.photo .bar').getAttribute('data-progress'),
      ).toBe('100');
      await page
        .locator('#notifications li')
        .first()
        .waitFor({ timeout: 10_000 });
      await page.context().close();
    } finally {
      await single.stop();
      rmSync(memoryData, { recursive: true, force: true });
    }
  }, 60_000);
});

/** Waits for what a locator shows (Playwright's own expect is not Jest's). */
function expectLocator(locator: ReturnType<Page['locator']>) {
  return {
    toContainText: (text: string) =>
      locator.filter({ hasText: text }).first().waitFor({ timeout: 10_000 }),
    toHaveCount: async (count: number) => {
      const deadline = Date.now() + 10_000;
      while ((await locator.count()) !== count) {
        if (Date.now() > deadline)
          throw new Error(
            `expected ${count} elements, found ${await locator.count()}`,
          );
        await new Promise(r => setTimeout(r, 50));
      }
    },
  };
}
