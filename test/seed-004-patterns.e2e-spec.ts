/**
 * Seed 004's integration example ("Photo Processing Flow"), run as the seed
 * wrote it and as migrated: its `subscribe('photo.*')` expects to see
 * `photo.processing.started` and `photo.processing.completed`. Here `*` is one
 * segment, so `photo.*` hears `photo.uploaded` only and `photo.**` hears the
 * whole flow (README, Patterns: "Coming from the seed's `photo.*`").
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  EventBusModule,
  EventBusService,
  type EventBusModuleOptions,
  type EventEnvelope,
} from '@shared-infra/event-bus';
import { RedisServer } from './setup/redis-server.js';
import { Collector } from './utils/collector.js';

describe.each(['memory', 'redis'] as const)(
  "seed 004's photo flow on the %s transport",
  transport => {
    let redis: RedisServer | undefined;
    let app: INestApplicationContext;
    let bus: EventBusService;

    beforeAll(async () => {
      const options: EventBusModuleOptions = {
        serviceName: 'seed-004',
        transport,
        logLevel: 'warn',
      };
      if (transport === 'redis') {
        redis = await RedisServer.start();
        options.redis = { url: redis.url };
      }
      const moduleRef = await Test.createTestingModule({
        imports: [EventBusModule.forRoot(options)],
      }).compile();
      app = await moduleRef.init();
      bus = app.get(EventBusService);
      // The processing service of the seed's example: an upload starts and completes a job.
      await bus.subscribe('photo.uploaded', async event => {
        const { photoId, userId } = event.data as {
          photoId: string;
          userId: string;
        };
        await bus.publish<string>('photo.processing.started', {
          photoId,
          userId,
        });
        await bus.publish<string>('photo.processing.completed', {
          photoId,
          userId,
        });
      });
    });

    afterAll(async () => {
      await app?.close();
      await redis?.stop();
    });

    it('photo.* hears one segment, photo.** the whole flow', async () => {
      const oneSegment = new Collector<EventEnvelope>();
      const subtree = new Collector<EventEnvelope>();
      const seedPattern = await bus.subscribe('photo.*', oneSegment.push);
      const migrated = await bus.subscribe('photo.**', subtree.push);

      await bus.publish<string>('photo.uploaded', {
        photoId: '123',
        userId: 'user-456',
        filename: 'test.jpg',
      });
      await subtree.waitFor(3);
      // Published after the flow, on a channel both patterns hear: when it reaches
      // `photo.*`, everything the flow sent there has arrived too.
      await bus.publish('photo.flow-done', {});
      const seen = await oneSegment.until(e => e.type === 'photo.flow-done');

      expect(seen.map(e => e.type)).toEqual(['photo.uploaded']);
      expect(subtree.items.slice(0, 3).map(e => e.type)).toEqual([
        'photo.uploaded',
        'photo.processing.started',
        'photo.processing.completed',
      ]);
      await seedPattern.unsubscribe();
      await migrated.unsubscribe();
    });
  },
);
