import { afterEach, describe, expect, it } from '@jest/globals';
import {
  Injectable,
  Module,
  type CallHandler,
  type CanActivate,
  type ExecutionContext,
  type INestApplication,
  type NestInterceptor,
} from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import {
  EventBusModule,
  EventBusService,
  OnEvent,
  type EventEnvelope,
} from '@shared-infra/event-bus';
import { defer, map, of, tap, timer, type Observable } from 'rxjs';
import { waitUntil } from './utils/collector.js';

/** What the handlers and enhancers saw, in order. */
const seen: string[] = [];
let attempts = 0;

/** A consumer with no enhancer of its own. */
@Injectable()
class PlainConsumer {
  @OnEvent('plain.sync')
  onSync(event: EventEnvelope<string, { n: number }>): void {
    const viaNest = /external-context-creator/.test(new Error().stack ?? '');
    seen.push(`sync:${event.data.n}:${viaNest ? 'nest' : 'direct'}`);
  }

  @OnEvent('plain.observable', { retry: { maxRetries: 1, initialDelay: 1 } })
  onObservable(event: EventEnvelope<string, { n: number }>): Observable<void> {
    attempts++;
    // The first attempt fails late (after the Observable emitted nothing for 20 ms): only a
    // caller that subscribes and waits for the end sees it, and retries.
    return attempts === 1
      ? timer(20).pipe(
          map(() => {
            throw new Error('first attempt fails');
          }),
        )
      : defer(() => of(undefined)).pipe(
          tap(() => seen.push(`observable:${event.data.n}:${attempts}`)),
        );
  }
}

@Injectable()
class GlobalInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const event = context.getArgByIndex<EventEnvelope>(0);
    seen.push(`global-interceptor:${event.type}`);
    return next.handle();
  }
}

class RefuseOdd implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const event =
      context.getArgByIndex<EventEnvelope<string, { n: number }>>(0);
    return event.data.n % 2 === 0;
  }
}

@Module({
  imports: [
    EventBusModule.forRoot({
      serviceName: 'handler-call',
      transport: 'memory',
    }),
  ],
  providers: [PlainConsumer],
})
class PlainModule {}

@Module({
  imports: [
    EventBusModule.forRoot({
      serviceName: 'handler-call',
      transport: 'memory',
    }),
  ],
  providers: [
    PlainConsumer,
    { provide: APP_INTERCEPTOR, useClass: GlobalInterceptor },
  ],
})
class GlobalInterceptorModule {}

async function start(
  module: object,
  configure?: (app: INestApplication) => void,
): Promise<INestApplication> {
  const ref = await Test.createTestingModule({
    imports: [module as never],
  }).compile();
  const app = ref.createNestApplication({ logger: false });
  configure?.(app);
  await app.init();
  return app;
}

describe('how @OnEvent methods are called', () => {
  let app: INestApplication | undefined;

  afterEach(async () => {
    await app?.close();
    app = undefined;
    seen.length = 0;
    attempts = 0;
  });

  it('calls a method no guard, interceptor or parameter decorator applies to directly, in order', async () => {
    app = await start(PlainModule);
    const bus = app.get(EventBusService);
    for (let n = 0; n < 5; n++) await bus.publish('plain.sync', { n });
    await waitUntil(() => seen.length === 5, 5000, '5 events');
    expect(seen).toEqual([0, 1, 2, 3, 4].map(n => `sync:${n}:direct`));
  });

  it('waits for an Observable a handler returns and retries when it errors', async () => {
    app = await start(PlainModule);
    await app.get(EventBusService).publish('plain.observable', { n: 7 });
    await waitUntil(() => seen.length === 1, 5000, 'the second attempt');
    expect(seen).toEqual(['observable:7:2']);
    expect(attempts).toBe(2);
  });

  it('still runs a global interceptor (APP_INTERCEPTOR) around a method without enhancers', async () => {
    app = await start(GlobalInterceptorModule);
    await app.get(EventBusService).publish('plain.sync', { n: 1 });
    await waitUntil(() => seen.length === 2, 5000, 'interceptor and handler');
    expect(seen).toEqual(['global-interceptor:plain.sync', 'sync:1:nest']);
  });

  it('still runs a guard registered with useGlobalGuards before init', async () => {
    app = await start(PlainModule, nest =>
      nest.useGlobalGuards(new RefuseOdd()),
    );
    const bus = app.get(EventBusService);
    for (let n = 0; n < 4; n++) await bus.publish('plain.sync', { n });
    // The marker: an even event after the odd ones; the guard turned 1 and 3 away.
    await bus.publish('plain.sync', { n: 10 });
    await waitUntil(() => seen.includes('sync:10:nest'), 5000, 'the marker');
    expect(seen).toEqual(['sync:0:nest', 'sync:2:nest', 'sync:10:nest']);
  });
});
