import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Injectable, Module, Scope } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  EventBusModule,
  EventBusService,
  InjectEventBusOptions,
  InvalidConfigurationError,
  OnEvent,
  type EventBusModuleOptions,
} from '@shared-infra/event-bus';
import { RedisServer } from './setup/redis-server.js';
import { Collector, waitUntil } from './utils/collector.js';

@Injectable()
class ConfigStub {
  readonly serviceName = 'async-service';
}

@Module({ providers: [ConfigStub], exports: [ConfigStub] })
class ConfigStubModule {}

@Injectable()
class OptionsReader {
  constructor(
    @InjectEventBusOptions() readonly options: EventBusModuleOptions,
  ) {}
}

@Injectable({ scope: Scope.REQUEST })
class RequestScopedConsumer {
  @OnEvent('anything.happened')
  handle(): void {}
}

describe('EventBusModule configuration', () => {
  let redis: RedisServer;

  beforeAll(async () => {
    redis = await RedisServer.start({ config: { requirepass: 's3cret' } });
  });

  afterAll(async () => {
    await redis.stop();
  });

  it('builds from forRootAsync with imports, inject and useFactory, and exposes the options', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        EventBusModule.forRootAsync({
          imports: [ConfigStubModule],
          inject: [ConfigStub],
          useFactory: (config: ConfigStub) => ({
            serviceName: config.serviceName,
            logLevel: 'error',
          }),
        }),
      ],
      providers: [OptionsReader],
    }).compile();
    const app = await moduleRef.init();
    const result = await app.get(EventBusService).publish('config.checked', {});
    expect(result.success).toBe(true);
    expect(app.get(OptionsReader).options.serviceName).toBe('async-service');
    await app.close();
  });

  it('refuses @OnEvent on a request-scoped provider at bootstrap, naming the class and method', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        EventBusModule.forRoot({ serviceName: 'scoped', logLevel: 'error' }),
      ],
      providers: [RequestScopedConsumer],
    }).compile();
    const init = moduleRef.init();
    await expect(init).rejects.toBeInstanceOf(InvalidConfigurationError);
    await expect(init).rejects.toThrow(
      /RequestScopedConsumer\.handle: request-scoped providers cannot hold event handlers/,
    );
    await moduleRef.close().catch(() => undefined);
  });

  it('refuses bad options with the fix in the message', () => {
    expect(() =>
      EventBusModule.forRoot({} as EventBusModuleOptions),
    ).not.toThrow();
    return expect(
      Test.createTestingModule({
        imports: [
          EventBusModule.forRoot({ serviceName: 'x', transport: 'redis' }),
        ],
      }).compile(),
    ).rejects.toThrow(/transport 'redis' needs redis.url or redis.options/);
  });

  it('passes password and db through to Redis', async () => {
    const url = `redis://:s3cret@127.0.0.1:${redis.port}/3`;
    const moduleRef = await Test.createTestingModule({
      imports: [
        EventBusModule.forRoot({
          serviceName: 'auth',
          transport: 'redis',
          redis: { url },
          logLevel: 'error',
        }),
      ],
    }).compile();
    const app = await moduleRef.init();
    const bus = app.get(EventBusService);
    const seen = new Collector();
    await bus.subscribe('secure.*', seen.push);
    await bus.publish('secure.ping', {});
    await seen.waitFor(1);
    expect(bus.isConnected()).toBe(true);
    await app.close();
  });

  it('stays up, unhealthy and refusing nothing silently when the Redis password is wrong', async () => {
    const url = `redis://:wrong@127.0.0.1:${redis.port}`;
    const moduleRef = await Test.createTestingModule({
      imports: [
        EventBusModule.forRoot({
          serviceName: 'bad-auth',
          transport: 'redis',
          redis: { url, maxBufferedPublishes: 0 },
          logLevel: 'error',
        }),
      ],
    }).compile();
    const app = await moduleRef.init();
    const bus = app.get(EventBusService);
    await waitUntil(
      async () => (await bus.healthCheck()).status === 'unhealthy',
      5000,
      'health to report the failure',
    );
    expect(bus.isConnected()).toBe(false);
    await expect(bus.publish('secure.ping', {})).rejects.toThrow(
      /maxBufferedPublishes/,
    );
    await app.close();
  });
});
