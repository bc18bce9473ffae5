import { Reflector } from '@nestjs/core';
import { OnEvent } from '../decorators/on-event.decorator.js';
import { InvalidConfigurationError } from '../errors/invalid-configuration.error.js';
import { ON_EVENT_METADATA } from '../event-bus.constants.js';
import { EventMetadataAccessor } from './event-metadata.accessor.js';

const filter = {
  conditions: [
    { field: 'data.priority', operator: 'equals' as const, value: 'high' },
  ],
};

class PhotoHandlers {
  @OnEvent('photo.uploaded')
  single(): void {}

  @OnEvent(['photo.*', 'video.**'])
  several(): void {}

  @OnEvent('photo.deleted', { retry: { maxRetries: 1 } })
  @OnEvent('photo.processing.*', { durable: true })
  stacked(): void {}

  @OnEvent('photo.uploaded', {
    retry: { maxRetries: 5 },
    timeout: 100,
    filter,
    concurrency: 2,
    durable: true,
  })
  withOptions(): void {}

  plain(): void {}
}

describe('EventMetadataAccessor.getOnEventMetadata', () => {
  const accessor = new EventMetadataAccessor(new Reflector());
  const proto = PhotoHandlers.prototype;

  it('reads a single pattern', () => {
    expect(accessor.getOnEventMetadata(proto.single)).toEqual([
      { pattern: 'photo.uploaded', options: {} },
    ]);
  });

  it('reads an array of patterns, in order', () => {
    expect(accessor.getOnEventMetadata(proto.several)).toEqual([
      { pattern: 'photo.*', options: {} },
      { pattern: 'video.**', options: {} },
    ]);
  });

  it('adds up stacked decorators, in the order they apply (innermost first)', () => {
    expect(accessor.getOnEventMetadata(proto.stacked)).toEqual([
      { pattern: 'photo.processing.*', options: { durable: true } },
      { pattern: 'photo.deleted', options: { retry: { maxRetries: 1 } } },
    ]);
  });

  it('keeps the options', () => {
    expect(accessor.getOnEventMetadata(proto.withOptions)).toEqual([
      {
        pattern: 'photo.uploaded',
        options: {
          retry: { maxRetries: 5 },
          timeout: 100,
          filter,
          concurrency: 2,
          durable: true,
        },
      },
    ]);
  });

  it('returns undefined for an undecorated method', () => {
    expect(accessor.getOnEventMetadata(proto.plain)).toBeUndefined();
  });

  it.each([undefined, null, 'single', 42, {}, proto])(
    'returns undefined for the non-function %p',
    target => {
      expect(accessor.getOnEventMetadata(target)).toBeUndefined();
    },
  );

  it('wraps metadata written as a single object in an array', () => {
    const legacy = () => undefined;
    Reflect.defineMetadata(
      ON_EVENT_METADATA,
      { pattern: 'a.b', options: {} },
      legacy,
    );
    expect(accessor.getOnEventMetadata(legacy)).toEqual([
      { pattern: 'a.b', options: {} },
    ]);
  });
});

describe('OnEvent', () => {
  it.each(['Bad Pattern', 'photo..uploaded', 'photo.***', ''])(
    'throws InvalidConfigurationError on %j',
    pattern => {
      expect(() => OnEvent(pattern)).toThrow(InvalidConfigurationError);
    },
  );

  it('throws when one pattern of an array is invalid', () => {
    expect(() => OnEvent(['photo.uploaded', 'Bad Pattern'])).toThrow(
      /"Bad Pattern" is invalid/,
    );
  });

  it('throws while the class is declared', () => {
    expect(() => {
      class _Broken {
        @OnEvent('Bad Pattern')
        handle(): void {}
      }
    }).toThrow(InvalidConfigurationError);
  });
});
