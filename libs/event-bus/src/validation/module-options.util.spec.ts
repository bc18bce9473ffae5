import { InvalidConfigurationError } from '../errors/invalid-configuration.error.js';
import { resolveConfig } from '../event-bus.config.js';
import type { EventBusModuleOptions } from '../interfaces/event-bus-options.interface.js';

class PhotoUploadedDto {}

/** Every option of the README's configuration table, set. */
const fullOptions = (): EventBusModuleOptions => ({
  serviceName: 'photo-service',
  transport: 'redis',
  redis: {
    url: 'redis://localhost:6379',
    options: {
      password: 's3cret',
      username: 'bus',
      db: 1,
      connectTimeout: 5000,
    },
    channelPrefix: 'photos:',
    maxBufferedPublishes: 500,
    maxBufferedBytes: 8_000_000,
    maxRetriesPerRequest: 10,
    skipUnheardPublishes: false,
    batchPublishes: false,
    frames: { maxEvents: 100, maxBytes: 32_768, maxDelayMs: 1 },
  },
  limits: { maxEventBytes: 2_000_000, maxDataBytes: 1_000_000, maxDepth: 32 },
  retry: {
    maxRetries: 5,
    initialDelay: 100,
    multiplier: 3,
    maxDelay: 5000,
    jitter: 'full',
  },
  handlerDefaults: { timeout: 0, concurrency: 10, maxQueued: 100 },
  schemas: { 'photo.uploaded': PhotoUploadedDto },
  logLevel: 'debug',
  shutdownTimeout: 5000,
  durable: {
    trim: { strategy: 'minid', maxAgeMs: 3_600_000 },
    claimIdleMs: 60_000,
    claimIntervalMs: 1000,
    blockMs: 1000,
    batchSize: 10,
    maxDeliveries: 3,
    deadLetterMaxLength: 100,
    consumerIdleTimeoutMs: 60_000,
  },
  metrics: {
    enabled: true,
    prefix: 'photos_',
    typeSegments: 1,
    typeAllowlist: ['photo.*'],
    maxTypeLabels: 10,
    durationBuckets: [0.1, 1],
    registry: {
      registerMetric: () => undefined,
      removeSingleMetric: () => undefined,
      getSingleMetric: () => undefined,
    },
  },
  roomHistory: { maxLength: 10, maxAgeMs: 60_000 },
});

/** The message resolveConfig throws for `options`. */
function refusal(options: unknown): string {
  try {
    resolveConfig(options as EventBusModuleOptions);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidConfigurationError);
    return (error as Error).message;
  }
  throw new Error('expected an InvalidConfigurationError');
}

describe('resolveConfig option keys', () => {
  it('accepts every documented option', () => {
    const config = resolveConfig(fullOptions());
    expect(config.retry).toEqual({
      maxRetries: 5,
      initialDelay: 100,
      multiplier: 3,
      maxDelay: 5000,
      jitter: 'full',
    });
    expect(config.durable.trim).toEqual({
      strategy: 'minid',
      maxAgeMs: 3_600_000,
    });
    expect(config.redis?.channelPrefix).toBe('photos:');
    expect(config.redis?.frames).toEqual({
      maxEvents: 100,
      maxBytes: 32_768,
      maxDelayMs: 1,
    });
  });

  it('accepts schemas of both kinds side by side: DTO classes and Standard Schemas (objects, or functions as arktype makes them)', () => {
    const standard = {
      '~standard': {
        version: 1 as const,
        vendor: 'hand',
        validate: (value: unknown) => ({ value }),
      },
    };
    const callable = Object.assign(() => true, standard);
    const schemas = {
      'photo.uploaded': PhotoUploadedDto,
      'order.created': standard,
      'order.shipped': callable,
    };
    expect(resolveConfig({ serviceName: 'x', schemas }).schemas).toBe(schemas);
  });

  it('resolves redis.frames: off by default, true for the defaults, an object filled with them', () => {
    const frames = (value: unknown) =>
      resolveConfig({
        serviceName: 'x',
        transport: 'redis',
        redis: { url: 'redis://x', frames: value as boolean },
      }).redis?.frames;
    expect(frames(undefined)).toBe(false);
    expect(frames(false)).toBe(false);
    expect(frames(true)).toEqual({
      maxEvents: 256,
      maxBytes: 65_536,
      maxDelayMs: 0,
    });
    expect(frames({ maxEvents: 8 })).toEqual({
      maxEvents: 8,
      maxBytes: 65_536,
      maxDelayMs: 0,
    });
  });

  it('accepts the other shapes: Redis Cluster, maxlen trimming, no room history', () => {
    const config = resolveConfig({
      serviceName: 'x',
      transport: 'redis',
      redis: {
        cluster: {
          nodes: [{ host: 'localhost', port: 7000 }],
          options: { redisOptions: { password: 'p' }, scaleReads: 'slave' },
        },
      },
      durable: { trim: { strategy: 'maxlen', maxLength: 10 } },
      roomHistory: false,
    });
    expect(config.roomHistory.enabled).toBe(false);
  });

  it('passes ioredis options through unchecked', () => {
    const redis = {
      url: 'redis://x',
      options: { anyIoredisSetting: 1, keyPrefix: 'k:' } as never,
    };
    expect(() =>
      resolveConfig({ serviceName: 'x', transport: 'redis', redis }),
    ).not.toThrow();
  });

  it.each<[string, Record<string, unknown>, string]>([
    [
      'root',
      { serviceNmae: 'x' },
      'Unknown option "serviceNmae" of EventBusModule: did you mean "serviceName"?',
    ],
    [
      'redis',
      { redis: { url: 'redis://x', chanelPrefix: 'a:' } },
      '"redis.chanelPrefix" of EventBusModule: did you mean "redis.channelPrefix"?',
    ],
    [
      'redis.cluster',
      { redis: { cluster: { nodes: [{ host: 'h', port: 1 }], node: [] } } },
      '"redis.cluster.node" of EventBusModule: did you mean "redis.cluster.nodes"?',
    ],
    [
      'limits',
      { limits: { maxDataByte: 1 } },
      '"limits.maxDataByte" of EventBusModule: did you mean "limits.maxDataBytes"?',
    ],
    [
      'retry',
      { retry: { maxRetires: 1 } },
      '"retry.maxRetires" of EventBusModule: did you mean "retry.maxRetries"?',
    ],
    [
      'handlerDefaults',
      { handlerDefaults: { timout: 1 } },
      '"handlerDefaults.timout" of EventBusModule: did you mean "handlerDefaults.timeout"?',
    ],
    [
      'durable',
      { durable: { batchsize: 1 } },
      '"durable.batchsize" of EventBusModule: did you mean "durable.batchSize"?',
    ],
    [
      'durable.trim',
      { durable: { trim: { strategy: 'maxlen', maxLenght: 5 } } },
      '"durable.trim.maxLenght" of EventBusModule: did you mean "durable.trim.maxLength"?',
    ],
    [
      'metrics',
      { metrics: { enable: true } },
      '"metrics.enable" of EventBusModule: did you mean "metrics.enabled"?',
    ],
    [
      'roomHistory',
      { roomHistory: { maxAge: 1000 } },
      '"roomHistory.maxAge" of EventBusModule: did you mean "roomHistory.maxAgeMs"?',
    ],
  ])(
    'refuses a misspelled key in %s with its full path and the real key',
    (_where, extra, expected) => {
      expect(refusal({ serviceName: 'x', ...extra })).toContain(expected);
    },
  );

  it.each<[string, Record<string, unknown>, RegExp]>([
    [
      'backoffMultiplier',
      { retry: { backoffMultiplier: 2 } },
      /"retry\.backoffMultiplier" of EventBusModule: did you mean "retry\.multiplier"\?/,
    ],
    [
      'retryDelay',
      { retry: { retryDelay: 500 } },
      /"retry\.retryDelay" .*did you mean "retry\.initialDelay"\?/,
    ],
    [
      'maxRetries at the root',
      { maxRetries: 3 },
      /"maxRetries" .*did you mean "retry\.maxRetries"\?/,
    ],
    [
      'performance.maxRetries',
      { performance: { batchSize: 100, maxRetries: 3 } },
      /"performance\.maxRetries" .*did you mean "retry\.maxRetries"\?/,
    ],
    [
      'performance',
      { performance: { batchInterval: 50 } },
      /"performance" of EventBusModule\. There is no performance block/,
    ],
    [
      'redis.host',
      { redis: { host: 'localhost', port: 6379 } },
      /"redis\.host" .*did you mean "redis\.options\.host"\? ioredis settings go in redis\.options/,
    ],
    [
      'redis.keyPrefix',
      { redis: { url: 'redis://x', keyPrefix: 'eventbus:' } },
      /"redis\.keyPrefix" .*did you mean "redis\.channelPrefix"\?/,
    ],
    [
      'client',
      { client: { url: 'http://x' } },
      /"client" .*connect\(\{ url, token \}\) from @shared-infra\/event-bus-client/,
    ],
    [
      'isGlobal from a factory',
      { isGlobal: false },
      /"isGlobal" is an option of forRootAsync/,
    ],
  ])("points the seeds' %s at the real option", (_name, extra, expected) => {
    expect(refusal({ serviceName: 'x', ...extra })).toMatch(expected);
  });

  it('takes logLevel info as log, and refuses other levels naming them', () => {
    expect(resolveConfig({ serviceName: 'x', logLevel: 'info' }).logLevel).toBe(
      'log',
    );
    expect(refusal({ serviceName: 'x', logLevel: 'verbose' })).toBe(
      `Option "logLevel" of EventBusModule is "verbose": use 'debug', 'log', 'info', 'warn', 'error'.`,
    );
    expect(refusal({ serviceName: 'x', logLevel: 'warning' })).toContain(
      "(did you mean 'warn'?)",
    );
  });

  it('names the jitter values instead of asking for a number', () => {
    expect(refusal({ serviceName: 'x', retry: { jitter: 'random' } })).toBe(
      `Option "retry.jitter" of EventBusModule is "random": use 'equal' (a delay in [d/2, d], the default), 'full' (in [0, d]) or 'none' (exactly d).`,
    );
  });

  it.each<[string, Record<string, unknown>, string]>([
    [
      'a string boolean',
      { redis: { url: 'redis://x', batchPublishes: 'false' } },
      'Option "redis.batchPublishes" of EventBusModule is "false": give true or false.',
    ],
    [
      'a misspelled frames limit',
      { redis: { url: 'redis://x', frames: { maxEvent: 10 } } },
      'Unknown option "redis.frames.maxEvent" of EventBusModule: did you mean "redis.frames.maxEvents"?',
    ],
    [
      'a frames limit by another name',
      { redis: { url: 'redis://x', frames: { maxSize: 1000 } } },
      'Unknown option "redis.frames.maxSize" of EventBusModule: did you mean "redis.frames.maxBytes"?',
    ],
    [
      'a misspelled frames option',
      { redis: { url: 'redis://x', frame: true } },
      'Unknown option "redis.frame" of EventBusModule: did you mean "redis.frames"?',
    ],
    [
      'frames as a string',
      { redis: { url: 'redis://x', frames: 'on' } },
      'Option "redis.frames" of EventBusModule is "on": give true, false or { maxEvents, maxBytes, maxDelayMs }.',
    ],
    [
      'frames of no event',
      { redis: { url: 'redis://x', frames: { maxEvents: 0 } } },
      'Option "redis.frames.maxEvents" of EventBusModule is 0: it must be an integer from 1 to 10,000.',
    ],
    [
      'frames larger than a pub/sub output buffer',
      { redis: { url: 'redis://x', frames: { maxBytes: 16 * 1024 * 1024 } } },
      'Option "redis.frames.maxBytes" of EventBusModule is 16777216: it must be an integer from 1,024 to 8,388,608.',
    ],
    [
      'a fractional frame deadline',
      { redis: { url: 'redis://x', frames: { maxDelayMs: 0.5 } } },
      'Option "redis.frames.maxDelayMs" of EventBusModule is 0.5: it must be an integer from 0 to 100.',
    ],
    [
      'metrics.enabled as a string',
      { metrics: { enabled: 'yes' } },
      'Option "metrics.enabled" of EventBusModule is "yes": give true or false.',
    ],
    [
      'a number as a sub-object',
      { retry: 3 },
      'Option "retry" of EventBusModule is 3: give an object with maxRetries',
    ],
    [
      'roomHistory true',
      { roomHistory: true },
      'Option "roomHistory" of EventBusModule is true: give { maxLength, maxAgeMs } or false',
    ],
    [
      'a schema that is no class',
      { schemas: { 'photo.uploaded': {} } },
      `Option "schemas['photo.uploaded']" of EventBusModule is {}: give a class-validator DTO class or a Standard Schema v1 object (zod, valibot, arktype…).`,
    ],
    [
      'an arrow function as a schema',
      { schemas: { 'order.created': () => ({}) } },
      `Option "schemas['order.created']" of EventBusModule is a function (order.created): give a class-validator DTO class or a Standard Schema v1 object`,
    ],
    [
      'a Standard Schema of another version',
      {
        schemas: {
          'order.created': {
            '~standard': { version: 2, vendor: 'x', validate: () => ({}) },
          },
        },
      },
      `Option "schemas['order.created']" of EventBusModule is {"~standard":{"version":2,"vendor":"x"}}: give a class-validator DTO class or a Standard Schema v1 object (zod, valibot, arktype…); this one's "~standard" is not of version 1 with a validate function (version: 2).`,
    ],
    [
      'a string as a schema',
      { schemas: { 'order.created': 'OrderDto' } },
      `Option "schemas['order.created']" of EventBusModule is "OrderDto": give a class-validator DTO class`,
    ],
    [
      "trim with the other strategy's limit",
      { durable: { trim: { strategy: 'minid', maxLength: 5 } } },
      "maxLength goes with strategy 'maxlen'",
    ],
    [
      'an unknown trim strategy',
      { durable: { trim: { strategy: 'age' } } },
      `Option "durable.trim.strategy" of EventBusModule is "age": use 'maxlen', 'minid'.`,
    ],
  ])('refuses %s', (_what, extra, expected) => {
    expect(refusal({ serviceName: 'x', ...extra })).toContain(expected);
  });

  it('still says serviceName is required when the options are missing', () => {
    expect(refusal(undefined)).toMatch(/Option "serviceName" is required/);
  });
});
