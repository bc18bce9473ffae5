import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { EventEnvelope } from '@shared-infra/event-bus';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { freePort } from './setup/free-port.js';
import { waitUntil } from './utils/collector.js';
import { DemoProcess } from './utils/demo-process.js';
import { badgePng, landscapeJpeg, truncatedJpeg } from './utils/demo-images.js';

interface Created {
  photoId: string;
  links: { self: string; thumbnail: string; image: string };
}

/** POST /photos (multipart) and GET /photos on the demo, and the real files the worker writes. */
describe('demo: photo uploads (multipart, sharp)', () => {
  let demo: DemoProcess;
  let dataDir: string;
  let token: string;

  const tokenOf = async (userId: string) =>
    (
      await demo.json<{ token: string }>('/auth/token', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ userId }),
      })
    ).body.token;

  async function upload(
    bytes: Buffer,
    filename: string,
    options: {
      type?: string;
      field?: string;
      auth?: string | null;
      extra?: Record<string, string>;
    } = {},
  ): Promise<{ status: number; body: Created & { message?: string } }> {
    const form = new FormData();
    for (const [key, value] of Object.entries(options.extra ?? {}))
      form.append(key, value);
    form.append(
      options.field ?? 'photo',
      new Blob([new Uint8Array(bytes)], { type: options.type ?? 'image/jpeg' }),
      filename,
    );
    const headers: Record<string, string> = {};
    const auth = options.auth === undefined ? token : options.auth;
    if (auth !== null) headers.authorization = `Bearer ${auth}`;
    return demo.json('/photos', { method: 'POST', body: form, headers });
  }

  /** Events about a photo, oldest first, once `done` holds for them. */
  async function eventsOf(
    photoId: string,
    done: (events: EventEnvelope[]) => boolean,
  ): Promise<EventEnvelope[]> {
    let events: EventEnvelope[] = [];
    await waitUntil(
      async () => {
        events = (
          await demo.json<EventEnvelope[]>('/events?limit=200', {
            headers: { authorization: `Bearer ${token}` },
          })
        ).body
          .filter(e => (e.data as { photoId?: string }).photoId === photoId)
          .reverse();
        return done(events);
      },
      15_000,
      `the events of photo ${photoId}`,
    );
    return events;
  }

  const finished = (events: EventEnvelope[]) =>
    events.some(e => e.type === 'notification.new') &&
    events.filter(
      e =>
        e.type === 'photo.processing.completed' ||
        e.type === 'photo.processing.failed',
    ).length === 2;

  const stored = () => readdirSync(dataDir).length;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'demo-uploads-'));
    demo = await DemoProcess.start(await freePort(), {
      REDIS_URL: undefined,
      DATA_DIR: dataDir,
      MAX_UPLOAD_MB: '1',
      PHOTO_STAGE_MIN_MS: '0',
    });
    token = await tokenOf('uploader');
  });

  afterAll(async () => {
    await demo?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('processes a real JPEG: validation, resize to 1600 px, a 160 px WebP thumbnail, an optimized WebP, reported to both rooms', async () => {
    const original = await landscapeJpeg(2400, 1600);
    const created = await upload(original, 'Ålesund harbour.jpg');
    expect(created.status).toBe(202);
    const { photoId, links } = created.body;
    expect(links).toEqual({
      self: `/photos/${photoId}`,
      thumbnail: `/photos/${photoId}/thumbnail`,
      image: `/photos/${photoId}/image`,
    });

    const events = await eventsOf(photoId, finished);
    expect(events[0]).toMatchObject({
      type: 'photo.uploaded',
      data: {
        photoId,
        userId: 'uploader',
        filename: 'Ålesund harbour.jpg',
        size: original.length,
        mimeType: 'image/jpeg',
      },
    });
    const inRoom = events.filter(e => e.metadata.room === `photo:${photoId}`);
    const toUser = events.filter(
      e =>
        e.metadata.userId === 'uploader' &&
        !e.metadata.room &&
        e.type.startsWith('photo.processing.'),
    );
    // photo.uploaded goes to the owner's devices too (seed 003), once.
    expect(
      events
        .filter(e => e.type === 'photo.uploaded')
        .map(e => e.metadata.userId),
    ).toEqual(['uploader']);
    for (const copy of [inRoom, toUser]) {
      expect(copy.map(e => e.type)).toEqual([
        'photo.processing.started',
        'photo.processing.progress',
        'photo.processing.progress',
        'photo.processing.progress',
        'photo.processing.progress',
        'photo.processing.completed',
      ]);
      expect(
        copy
          .filter(e => e.type === 'photo.processing.progress')
          .map(e => [
            (e.data as { stage: string }).stage,
            (e.data as { progress: number }).progress,
          ]),
      ).toEqual([
        ['validation', 25],
        ['resize', 50],
        ['thumbnail', 75],
        ['optimize', 100],
      ]);
    }
    // Two copies, two ids, one payload.
    expect(inRoom.at(-1)!.id).not.toBe(toUser.at(-1)!.id);
    expect(inRoom.at(-1)!.data).toEqual(toUser.at(-1)!.data);
    const completed = inRoom.at(-1)!.data as {
      jobId: string;
      duration: number;
      thumbnails: Array<{
        size: string;
        width: number;
        height: number;
        url: string;
      }>;
      metadata: Record<string, unknown>;
      storageInfo: { location: string; bytes: number };
    };
    expect(completed.thumbnails).toEqual([
      { size: 'small', width: 160, height: 160, url: links.thumbnail },
      { size: 'large', width: 1600, height: 1067, url: links.image },
    ]);
    expect(completed.metadata).toMatchObject({
      width: 2400,
      height: 1600,
      format: 'jpeg',
      hasAlpha: false,
      checksum: createHash('sha256').update(original).digest('hex'),
    });
    expect(completed.storageInfo).toMatchObject({
      location: `uploads/${photoId}`,
      originalBytes: original.length,
    });
    expect(events.find(e => e.type === 'notification.new')).toMatchObject({
      data: { type: 'photo_processed', photoId },
      metadata: { userId: 'uploader' },
    });

    // The files are real and served.
    expect(readdirSync(join(dataDir, photoId)).sort()).toEqual([
      'display.webp',
      'original.jpg',
      'photo.json',
      'thumbnail.webp',
    ]);
    for (const [url, width, height] of [
      [links.thumbnail, 160, 160],
      [links.image, 1600, 1067],
    ] as const) {
      const response = await fetch(demo.url(url));
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('image/webp');
      expect(
        await sharp(Buffer.from(await response.arrayBuffer())).metadata(),
      ).toMatchObject({ format: 'webp', width, height });
    }

    // The owner can read its status; anyone else is told there is no such photo.
    const mine = await demo.json<{
      status: string;
      progress: number;
      filename: string;
    }>(`/photos/${photoId}`, { headers: { authorization: `Bearer ${token}` } });
    expect(mine).toMatchObject({
      status: 200,
      body: {
        status: 'completed',
        progress: 100,
        filename: 'Ålesund harbour.jpg',
      },
    });
    const list = await demo.json<{ photos: Array<{ photoId: string }> }>(
      '/photos',
      { headers: { authorization: `Bearer ${token}` } },
    );
    expect(list.body.photos.map(p => p.photoId)).toContain(photoId);
    expect(
      (
        await demo.json(`/photos/${photoId}`, {
          headers: { authorization: `Bearer ${await tokenOf('someone-else')}` },
        })
      ).status,
    ).toBe(404);
    expect((await demo.json('/photos')).status).toBe(401);
  });

  it('reads the type from the content: PNG, WebP and GIF are processed, whatever name and Content-Type they came with', async () => {
    const png = await badgePng(400);
    const webp = await sharp(await landscapeJpeg(800, 600, 1))
      .webp()
      .toBuffer();
    const gif = await sharp(await badgePng(300))
      .gif()
      .toBuffer();
    const uploads = [
      {
        bytes: png,
        name: 'looks-like.jpg',
        type: 'image/jpeg',
        expected: 'image/png',
      },
      {
        bytes: webp,
        name: 'evening.webp',
        type: 'application/octet-stream',
        expected: 'image/webp',
      },
      {
        bytes: gif,
        name: 'badge.gif',
        type: 'image/gif',
        expected: 'image/gif',
      },
    ];
    for (const { bytes, name, type, expected } of uploads) {
      const created = await upload(bytes, name, { type });
      expect(created.status).toBe(202);
      const events = await eventsOf(created.body.photoId, finished);
      expect(events[0].data).toMatchObject({
        mimeType: expected,
        filename: name,
      });
      expect(events.map(e => e.type)).toContain('photo.processing.completed');
      expect(
        existsSync(join(dataDir, created.body.photoId, 'thumbnail.webp')),
      ).toBe(true);
    }
  });

  it('refuses what it cannot take with a 4xx that says what to do, and stores nothing', async () => {
    const before = stored();
    const jpeg = await landscapeJpeg(300, 200);

    const tooLarge = await upload(
      Buffer.concat([Buffer.from([0xff, 0xd8, 0xff]), Buffer.alloc(1_200_000)]),
      'huge.jpg',
    );
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.body.message).toBe(
      'The photo is larger than 1 MB, the limit: resize or compress it and upload it again.',
    );

    const html = await upload(
      Buffer.from('<html><body>not a photo</body></html>'),
      'holiday.jpg',
      { type: 'image/jpeg' },
    );
    expect(html.status).toBe(415);
    expect(html.body.message).toMatch(
      /^"holiday.jpg" is text that looks like HTML, XML or SVG, not a JPEG, PNG, WebP or GIF image \(the type is read from the content, not the name\)/,
    );
    const pdf = await upload(Buffer.from('%PDF-1.7\n...'), 'scan.png', {
      type: 'image/png',
    });
    expect(pdf).toMatchObject({
      status: 415,
      body: { message: expect.stringContaining('is a PDF document') },
    });

    const empty = await upload(Buffer.alloc(0), 'empty.jpg');
    expect(empty).toMatchObject({
      status: 400,
      body: {
        message: 'The file is empty: pick a JPEG, PNG, WebP or GIF image.',
      },
    });
    const wrongField = await upload(jpeg, 'a.jpg', { field: 'image' });
    expect(wrongField).toMatchObject({
      status: 400,
      body: {
        message: expect.stringMatching(/field "photo".*got a file in "image"/),
      },
    });
    const noFile = await demo.json<{ message: string }>('/photos', {
      method: 'POST',
      body: formWith({ note: 'hello' }),
      headers: { authorization: `Bearer ${token}` },
    });
    expect(noFile).toMatchObject({
      status: 400,
      body: {
        message: expect.stringContaining('No file in the field "photo"'),
      },
    });

    const anonymous = await upload(jpeg, 'a.jpg', { auth: null });
    expect(anonymous).toMatchObject({
      status: 401,
      body: { message: expect.stringContaining('POST /auth/token') },
    });
    expect((await upload(jpeg, 'a.jpg', { auth: 'not-a-token' })).status).toBe(
      401,
    );
    const impostor = await upload(jpeg, 'a.jpg', {
      extra: { userId: 'someone-else' },
    });
    expect(impostor).toMatchObject({
      status: 403,
      body: { message: expect.stringContaining('leave userId out') },
    });

    const raw = await demo.json<{ message: string }>('/photos', {
      method: 'POST',
      body: new Uint8Array(jpeg),
      headers: {
        'content-type': 'image/jpeg',
        authorization: `Bearer ${token}`,
      },
    });
    expect(raw).toMatchObject({
      status: 415,
      body: { message: expect.stringContaining('multipart/form-data') },
    });

    expect(stored()).toBe(before);
  });

  it('a corrupt image is accepted (its header is right) and fails in validation: photo.processing.failed, then an error notification', async () => {
    const created = await upload(await truncatedJpeg(), 'cut-short.jpg');
    expect(created.status).toBe(202);
    const { photoId } = created.body;
    const events = await eventsOf(photoId, finished);
    const failed = events.filter(e => e.type === 'photo.processing.failed');
    expect(
      failed.map(e => e.metadata.room ?? `user:${e.metadata.userId}`),
    ).toEqual([`photo:${photoId}`, 'user:uploader']);
    expect(failed[0].data).toMatchObject({
      photoId,
      userId: 'uploader',
      retryable: false,
      retryCount: 0,
      error: {
        code: 'INVALID_IMAGE',
        message: expect.stringMatching(/^The image could not be decoded: /),
        details: { stage: 'validation' },
      },
    });
    expect(events.filter(e => e.type === 'photo.processing.completed')).toEqual(
      [],
    );
    expect(events.find(e => e.type === 'notification.new')!.data).toMatchObject(
      { type: 'photo_processing_failed', severity: 'error', photoId },
    );
    expect(
      (
        await demo.json(`/photos/${photoId}`, {
          headers: { authorization: `Bearer ${token}` },
        })
      ).body,
    ).toMatchObject({ status: 'failed', error: { code: 'INVALID_IMAGE' } });
    expect((await fetch(demo.url(`/photos/${photoId}/thumbnail`))).status).toBe(
      404,
    );
    // Acked, not retried: one attempt.
    expect(
      events.filter(e => e.type === 'photo.processing.started'),
    ).toHaveLength(2);
  });

  it('serves the page and the client SDK bundle', async () => {
    const page = await demo.text('/');
    expect(page.status).toBe(200);
    expect(page.contentType).toMatch(/^text\/html/);
    expect(page.body).toContain('Development token — demo only');
    const bundle = await demo.text('/vendor/event-bus-client.js');
    expect(bundle.status).toBe(200);
    expect(bundle.contentType).toMatch(/javascript/);
    expect(bundle.body).toMatch(/export\s*\{[^}]*connect/);
    expect((await demo.text('/app.js')).body).toContain(
      "from '/vendor/event-bus-client.js'",
    );
    expect((await demo.json('/devices')).status).toBe(401);
  });
});

function formWith(fields: Record<string, string>): FormData {
  const form = new FormData();
  for (const [key, value] of Object.entries(fields)) form.append(key, value);
  return form;
}
