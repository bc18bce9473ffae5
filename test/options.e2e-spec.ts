import { afterEach, describe, expect, it } from '@jest/globals';
import {
  Injectable,
  Module,
  type DynamicModule,
  type INestApplicationContext,
  type LoggerService,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  EventBusHealthModule,
  EventBusModule,
  EventBusService,
  InvalidConfigurationError,
  OnEvent,
  type EventBusModuleOptions,
} from '@shared-infra/event-bus';
import { EventBusGatewayModule } from '@shared-infra/event-bus/gateway';

/** Keeps every log line, to see what a log level lets through. */
class CapturingLogger implements LoggerService {
  readonly lines: string[] = [];
  log(message: unknown): void {
    this.lines.push(`log ${String(message)}`);
  }
  warn(message: unknown): void {
    this.lines.push(`warn ${String(message)}`);
  }
  error(message: unknown): void {
    this.lines.push(`error ${String(message)}`);
  }
  debug(message: unknown): void {
    this.lines.push(`debug ${String(message)}`);
  }
  verbose(): void {}
}

@Injectable()
class SeedStyleConsumer {
  // The seeds put the filter under metadata; the bus used to deliver everything unfiltered.
  @OnEvent('photo.*', {
    metadata: {
      filter: {
        conditions: [
          { field: 'data.priority', operator: 'equals', value: 'high' },
        ],
      },
    },
  } as never)
  onPhoto(): void {}
}

function appModule(
  ...imports: Array<DynamicModule | Promise<DynamicModule>>
): new () => unknown {
  @Module({ imports })
  class OptionsAppModule {}
  return OptionsAppModule;
}

function start(
  module: new () => unknown,
  logger: LoggerService | false = false,
): Promise<INestApplicationContext> {
  return NestFactory.createApplicationContext(module, {
    logger,
    abortOnError: false,
  });
}

describe('options the bus would not read are refused at start', () => {
  let app: INestApplicationContext | undefined;

  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('forRoot: a misspelled option fails the start, naming its path and the real key', async () => {
    const started = start(
      appModule(
        EventBusModule.forRoot({
          serviceName: 'options',
          retry: { backoffMultiplier: 2 },
        } as EventBusModuleOptions),
      ),
    );
    await expect(started).rejects.toBeInstanceOf(InvalidConfigurationError);
    await expect(started).rejects.toThrow(
      'Unknown option "retry.backoffMultiplier" of EventBusModule: did you mean "retry.multiplier"?',
    );
  });

  it('forRootAsync: the options a factory returns are checked too', async () => {
    const started = start(
      appModule(
        EventBusModule.forRootAsync({
          useFactory: () =>
            ({
              serviceName: 'options',
              metrics: { enable: true },
            }) as EventBusModuleOptions,
        }),
      ),
    );
    await expect(started).rejects.toBeInstanceOf(InvalidConfigurationError);
    await expect(started).rejects.toThrow(
      'Unknown option "metrics.enable" of EventBusModule: did you mean "metrics.enabled"?',
    );
  });

  it('forRootAsync: an unknown logLevel fails the start, naming the levels', async () => {
    const started = start(
      appModule(
        EventBusModule.forRootAsync({
          useFactory: () => ({
            serviceName: 'options',
            logLevel: 'verbose' as 'log',
          }),
        }),
      ),
    );
    await expect(started).rejects.toThrow(
      `Option "logLevel" of EventBusModule is "verbose": use 'debug', 'log', 'info', 'warn', 'error'.`,
    );
  });

  it("@OnEvent: the seeds' metadata.filter fails the start, naming the handler and the real key", async () => {
    @Module({
      imports: [EventBusModule.forRoot({ serviceName: 'options' })],
      providers: [SeedStyleConsumer],
    })
    class SeedStyleModule {}
    const started = start(SeedStyleModule);
    await expect(started).rejects.toBeInstanceOf(InvalidConfigurationError);
    await expect(started).rejects.toThrow(
      'Unknown option "metadata.filter" of handler SeedStyleConsumer.onPhoto: did you mean "filter"?',
    );
  });

  it('EventBusGatewayModule: a socket.io setting in the gateway options fails the start', async () => {
    const module = appModule(
      EventBusModule.forRoot({ serviceName: 'options' }),
      EventBusGatewayModule.forRoot({
        jwt: { secret: 's3cret' },
        cors: { origin: '*' },
      } as never),
    );
    const started = NestFactory.create(module, {
      logger: false,
      abortOnError: false,
    });
    await expect(started).rejects.toThrow(
      'Unknown option "cors" of EventBusGatewayModule: did you mean "corsOrigins"?',
    );
  });

  it('EventBusHealthModule: a threshold outside durable fails the start', async () => {
    const started = start(
      appModule(
        EventBusModule.forRoot({ serviceName: 'options' }),
        EventBusHealthModule.forRoot({ maxPending: 10 } as never),
      ),
    );
    await expect(started).rejects.toThrow(
      'Unknown option "maxPending" of EventBusHealthModule: did you mean "durable.maxPending"?',
    );
  });

  it("subscribe(): the seeds' top-level maxRetries and retryOnError are refused and nothing is subscribed", async () => {
    app = await start(
      appModule(EventBusModule.forRoot({ serviceName: 'options' })),
    );
    const bus = app.get(EventBusService);
    const handler = (): void => undefined;
    const maxRetries = bus.subscribe('x.*', handler, {
      maxRetries: 3,
    } as never);
    await expect(maxRetries).rejects.toBeInstanceOf(InvalidConfigurationError);
    await expect(maxRetries).rejects.toThrow(
      /Unknown option "maxRetries" of handler subscribe\(x\.\*\)#\w+: did you mean "retry\.maxRetries"\?/,
    );
    await expect(
      bus.subscribe('x.*', handler, {
        retryOnError: true,
        timeout: 5000,
      } as never),
    ).rejects.toThrow(
      /"retryOnError" .*did you mean "retry\.maxRetries"\? Handlers retry on error by default/,
    );
    await expect(
      bus.subscribe('x.*', handler, { retry: { jitter: 'random' } } as never),
    ).rejects.toThrow(/use 'equal' .*'full' .*'none'/);
    expect(bus.getStats().activeSubscriptions).toBe(0);
    // The same options written as the bus reads them are accepted.
    await expect(
      bus.subscribe('x.*', handler, {
        retry: { maxRetries: 3 },
        timeout: 5000,
      }),
    ).resolves.toMatchObject({ pattern: 'x.*' });
  });

  it("logLevel 'info' is 'log': the bus' log lines are not muted", async () => {
    const logger = new CapturingLogger();
    app = await start(
      appModule(
        EventBusModule.forRoot({ serviceName: 'options', logLevel: 'info' }),
      ),
      logger,
    );
    await app
      .get(EventBusService)
      .subscribe('audit.recorded', () => undefined, {
        durable: true,
        group: 'auditors',
      });
    expect(logger.lines).toContainEqual(
      expect.stringMatching(/^log Durable handler .* as group auditors\./),
    );
  });
});
