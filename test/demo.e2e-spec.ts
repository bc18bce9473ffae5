import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { EventEnvelope } from '@shared-infra/event-bus';
import { freePort } from './setup/free-port.js';
import { RedisServer } from './setup/redis-server.js';
import { waitUntil } from './utils/collector.js';
import { DemoProcess } from './utils/demo-process.js';
import { parseMetrics, sampleValue } from './utils/prometheus.js';
import { connectClient, connectError } from './utils/gateway-client.js';

const photo = {
  filename: 'vacation.jpg',
  size: 1_024_000,
  mimeType: 'image/jpeg',
};

const STAGES = [
  'photo.processing.started',
  'photo.processing.progress',
  'photo.processing.progress',
  'photo.processing.progress',
  'photo.processing.progress',
  'photo.processing.completed',
];

/** A token of `userId` from the demo's sign-in (POST /auth/token). */
async function tokenOf(demo: DemoProcess, userId: string): Promise<string> {
  return (
    await demo.json<{ token: string }>('/auth/token', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ userId }),
    })
  ).body.token;
}

/** Registers a photo of user-456 by its metadata (the JSON form of POST /photos) and returns its events once the pipeline is done, oldest first. */
async function runPipeline(
  demo: DemoProcess,
): Promise<{ photoId: string; events: EventEnvelope[] }> {
  const authorization = `Bearer ${await tokenOf(demo, 'user-456')}`;
  const created = await demo.json<{ photoId: string }>('/photos', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization },
    body: JSON.stringify(photo),
  });
  expect(created.status).toBe(202);
  const { photoId } = created.body;
  let events: EventEnvelope[] = [];
  await waitUntil(
    async () => {
      events = (
        await demo.json<EventEnvelope[]>('/events?limit=200', {
          headers: { authorization },
        })
      ).body.filter(e => (e.data as { photoId?: string }).photoId === photoId);
      return (
        events.some(e => e.type === 'notification.new') &&
        events.filter(e => e.type === 'photo.processing.completed').length === 2
      );
    },
    15_000,
    'the pipeline to finish',
  );
  return { photoId, events: events.reverse() };
}

/** The worker reports every step twice: to the photo's room and to its owner's devices (user room). */
function expectPipeline(photoId: string, events: EventEnvelope[]): void {
  expect(events[0].type).toBe('photo.uploaded');
  expect(
    events.filter(e => e.metadata.room === `photo:${photoId}`).map(e => e.type),
  ).toEqual(STAGES);
  const toUser = events.filter(
    e => e.metadata.userId === 'user-456' && e.metadata.room === undefined,
  );
  // photo.uploaded is published to the owner's devices (seed 003), then the stages.
  expect(
    toUser.filter(e => e.type !== 'notification.new').map(e => e.type),
  ).toEqual(['photo.uploaded', ...STAGES]);
  // One notification, whatever the number of copies and instances.
  expect(toUser.filter(e => e.type === 'notification.new')).toHaveLength(1);
  expect(events).toHaveLength(1 + 2 * STAGES.length + 1);
}

describe('demo app (npm start)', () => {
  let redis: RedisServer;

  beforeAll(async () => {
    redis = await RedisServer.start();
  });

  afterAll(async () => {
    await redis.stop();
  });

  it('runs on the memory transport when REDIS_URL is unset', async () => {
    const demo = await DemoProcess.start(await freePort(), {
      REDIS_URL: undefined,
    });
    try {
      const { photoId, events } = await runPipeline(demo);
      expectPipeline(photoId, events);
      // One trace from upload to notification.
      expect(new Set(events.map(e => e.metadata.traceId)).size).toBe(1);
      expect(
        events.find(e => e.type === 'notification.new')!.metadata.userId,
      ).toBe('user-456');
      const stats = await demo.json<{
        transport: string;
        eventsFailed: number;
      }>('/stats');
      expect(stats.body.transport).toBe('memory');
      expect(stats.body.eventsFailed).toBe(0);
      expect(demo.output.join('')).toMatch(
        /memory \(embedded; set REDIS_URL to use Redis\)/,
      );
      const bad = await demo.json<{ message: string[] }>('/photos', {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${await tokenOf(demo, 'user-456')}`,
        },
        body: JSON.stringify({ ...photo, mimeType: 'text/html', size: -1 }),
      });
      expect(bad.status).toBe(400);
    } finally {
      expect(await demo.stop()).toEqual({ code: null, signal: 'SIGTERM' });
      expect(demo.output.join('')).toMatch(/Shut down cleanly/);
    }
  });

  it('runs on Redis when REDIS_URL is set', async () => {
    const demo = await DemoProcess.start(await freePort(), {
      REDIS_URL: redis.url,
    });
    try {
      const { photoId, events } = await runPipeline(demo);
      expectPipeline(photoId, events);
      const ready = await demo.json<{
        status: string;
        details: Record<string, { status: string; transport?: string }>;
      }>('/health/ready');
      expect(ready.status).toBe(200);
      expect(ready.body).toMatchObject({
        status: 'ok',
        details: {
          eventBus: { status: 'up', transport: 'redis' },
          durable: { status: 'up' },
        },
      });
      const metrics = await demo.text('/metrics');
      expect(metrics.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
      const samples = parseMetrics(metrics.body);
      // One upload: photo.uploaded once; started, four progress and completed share the label photo.processing,
      // each published twice (photo room and user room).
      expect(
        sampleValue(samples, 'eventbus_events_published_total', {
          type: 'photo.uploaded',
        }),
      ).toBe(1);
      expect(
        sampleValue(samples, 'eventbus_events_published_total', {
          type: 'photo.processing',
        }),
      ).toBe(12);
      expect(
        sampleValue(samples, 'eventbus_events_failed_total', {
          type: 'photo.uploaded',
        }),
      ).toBe(0);
      expect(
        sampleValue(samples, 'process_cpu_user_seconds_total'),
      ).toBeDefined();
      expect(demo.output.join('')).toMatch(
        /with the redis \(redis:\/\/127\.0\.0\.1:\d+\) transport/,
      );
    } finally {
      expect(await demo.stop()).toEqual({ code: null, signal: 'SIGTERM' });
      expect(demo.output.join('')).toMatch(/Shut down cleanly/);
    }
  });

  it("pushes a photo's progress to its owner's browser socket, and to nobody else", async () => {
    const demo = await DemoProcess.start(await freePort(), {
      REDIS_URL: redis.url,
    });
    try {
      const ownerToken = await tokenOf(demo, 'user-456');
      const owner = await connectClient(demo.url(''), { token: ownerToken });
      const other = await connectClient(demo.url(''), {
        token: await tokenOf(demo, 'someone-else'),
      });
      expect(
        (await connectError(demo.url(''), { token: 'forged' })).message,
      ).toBe('unauthorized');
      const created = await demo.json<{ photoId: string }>('/photos', {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${ownerToken}`,
        },
        body: JSON.stringify(photo),
      });
      const room = `photo:${created.body.photoId}`;
      expect(await other.request('subscribe', { room })).toMatchObject({
        ok: false,
        code: 'forbidden',
      });
      const ack = await owner.request('subscribe', { room });
      expect(ack).toEqual({ ok: true });
      // Each step reaches the owner twice: through the photo's room and through the owner's own room
      // (which every device of theirs is in); the notification through the owner's room.
      await waitUntil(
        async () =>
          owner.events.items.filter(
            e => e.type === 'photo.processing.completed',
          ).length === 2 &&
          owner.events.items.some(e => e.type === 'notification.new'),
        15_000,
        'the owner to get every event',
      );
      const events = owner.events.items;
      // (The photo's room was joined after the upload answered: its "started" may have gone before.)
      expect(
        events
          .filter(e => e.room === room && e.type !== 'photo.processing.started')
          .map(e => e.type),
      ).toEqual(STAGES.slice(1));
      expect(
        events
          .filter(
            e => e.room === 'user:user-456' && e.type.startsWith('photo.'),
          )
          .map(e => e.type),
        // photo.uploaded reaches the owner's devices too (seed 003).
      ).toEqual(['photo.uploaded', ...STAGES]);
      expect(
        events.filter(e => e.type === 'notification.new').map(e => e.room),
      ).toEqual(['user:user-456']);
      expect(
        events
          .filter(
            e => e.type === 'photo.processing.progress' && e.room === room,
          )
          .map(e => (e.data as { progress: number }).progress),
      ).toEqual([25, 50, 75, 100]);
      // Nothing about the photo reached the other user (only the device notice of their own socket).
      expect(
        (await other.events.settle(100)).filter(
          e => !e.type.startsWith('device.'),
        ),
      ).toEqual([]);
      owner.close();
      other.close();
      const bad = await demo.json('/auth/token', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ userId: 'has spaces' }),
      });
      expect(bad.status).toBe(400);
    } finally {
      expect(await demo.stop()).toEqual({ code: null, signal: 'SIGTERM' });
    }
  });
});
