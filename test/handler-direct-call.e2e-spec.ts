import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplicationContext, Provider } from '@nestjs/common';
import { ValidationPipe } from '@nestjs/common';
import { APP_GUARD, APP_INTERCEPTOR, APP_PIPE } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import {
  EventBusModule,
  EventBusService,
  type EventBusModuleOptions,
} from '@shared-infra/event-bus';
import {
  GlobalNotBlockedGuard,
  GlobalRecordingInterceptor,
  PlainHandlersConsumer,
  plainSeen,
} from './fixtures/plain-handlers.consumer.js';
import { RedisServer } from './setup/redis-server.js';
import { waitUntil } from './utils/collector.js';

type TransportCase = 'memory' | 'redis';

/**
 * `@OnEvent` methods without enhancers are called without Nest's wrapper: what
 * the wrapper did for them (await an Observable) still happens, and global
 * enhancers still put the wrapper back.
 */
describe.each<TransportCase>(['memory', 'redis'])(
  'handlers without enhancers on the %s transport',
  transport => {
    let redis: RedisServer | undefined;
    const apps: INestApplicationContext[] = [];

    beforeAll(async () => {
      if (transport === 'redis') redis = await RedisServer.start();
    });

    afterAll(async () => {
      await Promise.all(apps.map(app => app.close()));
      await redis?.stop();
    });

    const start = async (providers: Provider[]): Promise<EventBusService> => {
      const options: EventBusModuleOptions = {
        serviceName: `direct-${apps.length}`,
        transport,
        logLevel: 'error',
        ...(redis ? { redis: { url: redis.url } } : {}),
      };
      const moduleRef = await Test.createTestingModule({
        imports: [EventBusModule.forRoot(options)],
        providers: [PlainHandlersConsumer, ...providers],
      }).compile();
      const app = await moduleRef.init();
      apps.push(app);
      return app.get(EventBusService);
    };

    it('calls a method without enhancers directly, also when the app has a global pipe (pipes need parameter decorators)', async () => {
      const bus = await start([
        { provide: APP_PIPE, useClass: ValidationPipe },
      ]);
      try {
        await bus.publish('plain.sync', { n: 1 });
        await bus.publish('plain.sync', { n: 2 });
        expect(await plainSeen.handled.waitFor(2)).toEqual([1, 2]);
        expect(plainSeen.viaNest.items).toEqual([false, false]);
      } finally {
        plainSeen.handled.clear();
        plainSeen.viaNest.clear();
        await apps.pop()?.close();
      }
    });

    it('wraps it again for a guard added with useGlobalGuards before init', async () => {
      const moduleRef = await Test.createTestingModule({
        imports: [
          EventBusModule.forRoot({
            serviceName: 'direct-global-guard',
            transport,
            logLevel: 'error',
            ...(redis ? { redis: { url: redis.url } } : {}),
          }),
        ],
        providers: [PlainHandlersConsumer],
      }).compile();
      const app = moduleRef.createNestApplication({ logger: false });
      app.useGlobalGuards(new GlobalNotBlockedGuard());
      await app.init();
      try {
        const bus = app.get(EventBusService);
        await bus.publish('plain.sync', { n: 1, blocked: true });
        await bus.publish('plain.sync', { n: 2 });
        expect(await plainSeen.handled.waitFor(1)).toEqual([2]);
        expect(plainSeen.viaNest.items).toEqual([true]);
      } finally {
        plainSeen.handled.clear();
        plainSeen.viaNest.clear();
        await app.close();
      }
    });

    it('awaits an Observable a handler returns: completion is the delivery, an error the failure', async () => {
      const bus = await start([]);
      try {
        const before = bus.getStats();
        await bus.publish('plain.observable', { n: 1 });
        await bus.publish('plain.observable', { n: 2, fail: true });
        expect(await plainSeen.completed.waitFor(1)).toEqual([1]);
        await waitUntil(
          () => bus.getStats().eventsFailed === before.eventsFailed + 1,
          5000,
          'the failed observable',
        );
        await waitUntil(
          () => bus.getStats().eventsDelivered === before.eventsDelivered + 1,
          5000,
          'the completed observable',
        );
      } finally {
        plainSeen.completed.clear();
        await apps.pop()?.close();
      }
    });

    it('still applies global guards and interceptors (APP_GUARD, APP_INTERCEPTOR)', async () => {
      const bus = await start([
        { provide: APP_GUARD, useClass: GlobalNotBlockedGuard },
        { provide: APP_INTERCEPTOR, useClass: GlobalRecordingInterceptor },
      ]);
      try {
        await bus.publish('plain.sync', { n: 1, blocked: true });
        await bus.publish('plain.sync', { n: 2 });
        // The guard turned the first away; the interceptor wrapped the call that passed it.
        expect(await plainSeen.handled.waitFor(1)).toEqual([2]);
        expect(await plainSeen.intercepted.waitFor(1)).toEqual([2]);
        await waitUntil(
          () => bus.getStats().eventsFiltered === 1,
          5000,
          'the guarded event counted as filtered',
        );
      } finally {
        plainSeen.handled.clear();
        plainSeen.viaNest.clear();
        plainSeen.intercepted.clear();
        await apps.pop()?.close();
      }
    });
  },
);
