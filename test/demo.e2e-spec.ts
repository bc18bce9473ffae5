import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { EventEnvelope } from '@shared-infra/event-bus';
import { freePort } from './setup/free-port.js';
import { RedisServer } from './setup/redis-server.js';
import { waitUntil } from './utils/collector.js';
import { DemoProcess } from './utils/demo-process.js';
import { parseMetrics, sampleValue } from './utils/prometheus.js';
import { connectClient, connectError } from './utils/gateway-client.js';

const photo = { userId: 'user-456', filename: 'vacation.jpg', size: 1_024_000, mimeType: 'image/jpeg' };

async function runPipeline(demo: DemoProcess): Promise<EventEnvelope[]> {
  const created = await demo.json<{ photoId: string }>('/photos', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(photo),
  });
  expect(created.status).toBe(202);
  const { photoId } = created.body;
  let events: EventEnvelope[] = [];
  await waitUntil(async () => {
    events = (await demo.json<EventEnvelope[]>('/events?limit=200')).body.filter(
      e => (e.data as { photoId?: string }).photoId === photoId,
    );
    return events.some(e => e.type === 'notification.new');
  }, 15_000, 'the pipeline to finish');
  return events.reverse();
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
    const demo = await DemoProcess.start(await freePort(), { REDIS_URL: undefined });
    try {
      const events = await runPipeline(demo);
      expect(events.map(e => e.type)).toEqual([
        'photo.uploaded',
        'photo.processing.started',
        'photo.processing.progress',
        'photo.processing.progress',
        'photo.processing.progress',
        'photo.processing.progress',
        'photo.processing.completed',
        'notification.new',
      ]);
      // One trace from upload to notification.
      expect(new Set(events.map(e => e.metadata.traceId)).size).toBe(1);
      expect(events.at(-1)!.metadata.userId).toBe('user-456');
      const stats = await demo.json<{ transport: string; eventsFailed: number }>('/stats');
      expect(stats.body.transport).toBe('memory');
      expect(stats.body.eventsFailed).toBe(0);
      expect(demo.output.join('')).toMatch(/memory \(embedded; set REDIS_URL to use Redis\)/);
      const bad = await demo.json<{ message: string[] }>('/photos', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ...photo, mimeType: 'text/html', size: -1 }),
      });
      expect(bad.status).toBe(400);
    } finally {
      expect(await demo.stop()).toEqual({ code: null, signal: 'SIGTERM' });
      expect(demo.output.join('')).toMatch(/Shut down cleanly/);
    }
  });

  it('runs on Redis when REDIS_URL is set', async () => {
    const demo = await DemoProcess.start(await freePort(), { REDIS_URL: redis.url });
    try {
      await runPipeline(demo);
      const ready = await demo.json<{ status: string; details: Record<string, { status: string; transport?: string }> }>('/health/ready');
      expect(ready.status).toBe(200);
      expect(ready.body).toMatchObject({ status: 'ok', details: { eventBus: { status: 'up', transport: 'redis' }, durable: { status: 'up' } } });
      const metrics = await demo.text('/metrics');
      expect(metrics.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
      const samples = parseMetrics(metrics.body);
      // One upload: photo.uploaded once; started, four progress and completed share the label photo.processing.
      expect(sampleValue(samples, 'eventbus_events_published_total', { type: 'photo.uploaded' })).toBe(1);
      expect(sampleValue(samples, 'eventbus_events_published_total', { type: 'photo.processing' })).toBe(6);
      expect(sampleValue(samples, 'eventbus_events_failed_total', { type: 'photo.uploaded' })).toBe(0);
      expect(sampleValue(samples, 'process_cpu_user_seconds_total')).toBeDefined();
      expect(demo.output.join('')).toMatch(/with the redis \(redis:\/\/127\.0\.0\.1:\d+\) transport/);
    } finally {
      expect(await demo.stop()).toEqual({ code: null, signal: 'SIGTERM' });
      expect(demo.output.join('')).toMatch(/Shut down cleanly/);
    }
  });

  it('pushes a photo\'s progress to its owner\'s browser socket, and to nobody else', async () => {
    const demo = await DemoProcess.start(await freePort(), { REDIS_URL: redis.url });
    try {
      const tokenOf = async (userId: string) =>
        (await demo.json<{ token: string }>('/auth/token', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ userId }) })).body.token;
      const owner = await connectClient(demo.url(''), { token: await tokenOf('user-456') });
      const other = await connectClient(demo.url(''), { token: await tokenOf('someone-else') });
      expect((await connectError(demo.url(''), { token: 'forged' })).message).toBe('unauthorized');
      const created = await demo.json<{ photoId: string }>('/photos', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(photo),
      });
      const room = `photo:${created.body.photoId}`;
      expect(await other.request('subscribe', { room })).toMatchObject({ ok: false, code: 'forbidden' });
      const ack = await owner.request('subscribe', { room });
      expect(ack).toEqual({ ok: true });
      // The notification goes to the owner's own room, the rest to the photo's room.
      const events = await owner.events.waitFor(7, 15_000).catch(() => owner.events.items);
      const types = events.map(e => e.type);
      expect(types).toContain('photo.processing.completed');
      expect(types).toContain('notification.new');
      expect(events.filter(e => e.type === 'photo.processing.progress').map(e => (e.data as { progress: number }).progress)).toEqual(
        expect.arrayContaining([100]),
      );
      expect(await other.events.settle(100)).toEqual([]);
      owner.close();
      other.close();
      const bad = await demo.json('/auth/token', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ userId: 'has spaces' }) });
      expect(bad.status).toBe(400);
    } finally {
      expect(await demo.stop()).toEqual({ code: null, signal: 'SIGTERM' });
    }
  });
});
