import { Type } from 'class-transformer';
import {
  IsInt,
  IsOptional,
  IsPositive,
  IsString,
  Length,
  ValidateNested,
} from 'class-validator';
import { EventValidationError } from '../errors/event-validation.error.js';
import { resolveConfig } from '../event-bus.config.js';
import type { EventMetadata } from '../interfaces/event-envelope.interface.js';
import { EventValidator } from './event-validator.service.js';

class OwnerDto {
  @IsString()
  id!: string;
}

class PhotoUploadedDto {
  @IsString()
  @Length(1, 64)
  photoId!: string;

  @IsInt()
  @IsPositive()
  size!: number;

  @IsOptional()
  @ValidateNested()
  @Type(() => OwnerDto)
  owner?: OwnerDto;
}

const validator = () =>
  new EventValidator(
    resolveConfig({
      serviceName: 'test',
      schemas: { 'photo.uploaded': PhotoUploadedDto },
    }),
  );

/** Resolves to the EventValidationError `work` rejects with, failing the test when it does not. */
async function rejection(
  work: Promise<unknown>,
): Promise<EventValidationError> {
  const error = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(EventValidationError);
  return error as EventValidationError;
}

function thrown(fn: () => unknown): EventValidationError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(EventValidationError);
    return error as EventValidationError;
  }
  throw new Error('expected an EventValidationError');
}

describe('EventValidator.validateType', () => {
  it.each(['photo.uploaded', 'photo', 'user-profile.state_changed'])(
    'accepts %s',
    type => {
      expect(() => validator().validateType(type)).not.toThrow();
    },
  );

  it.each([
    'Photo.Uploaded',
    '',
    'photo..uploaded',
    '.photo',
    'photo uploaded',
    'photo.*',
    42,
    undefined,
  ])('rejects %p', type => {
    const error = thrown(() => validator().validateType(type));
    expect(error.field).toBe('type');
    expect(error.code).toBe('EVENT_VALIDATION');
  });

  it('refuses a schema for an invalid type', () => {
    expect(() => validator().register('Bad Type', PhotoUploadedDto)).toThrow(
      EventValidationError,
    );
  });
});

describe('EventValidator.validateMetadata', () => {
  const metadata = (
    patch: Partial<Record<keyof EventMetadata, unknown>> = {},
  ): EventMetadata =>
    ({
      source: 'test',
      timestamp: new Date().toISOString(),
      traceId: 'trace-1',
      correlationId: 'trace-1',
      ...patch,
    }) as EventMetadata;

  it('accepts complete metadata', () => {
    expect(() =>
      validator().validateMetadata(metadata({ room: 'album:1', userId: 'u1' })),
    ).not.toThrow();
  });

  it.each(['source', 'timestamp', 'traceId', 'correlationId'] as const)(
    'rejects a missing %s',
    field => {
      const error = thrown(() =>
        validator().validateMetadata(metadata({ [field]: undefined })),
      );
      expect(error.field).toBe(`metadata.${field}`);
      expect(error.message).toMatch(/required/);
    },
  );

  it.each(['source', 'traceId'] as const)('rejects an empty %s', field => {
    expect(
      thrown(() => validator().validateMetadata(metadata({ [field]: '' })))
        .field,
    ).toBe(`metadata.${field}`);
  });

  it.each([
    'source',
    'traceId',
    'correlationId',
    'causationId',
    'room',
    'userId',
    'idempotencyKey',
  ] as const)('rejects an oversize %s', field => {
    const error = thrown(() =>
      validator().validateMetadata(metadata({ [field]: 'x'.repeat(257) })),
    );
    expect(error.field).toBe(`metadata.${field}`);
    expect(error.limit).toBe(256);
    expect(error.message).toMatch(/at most 256 characters/);
  });

  it('accepts optional fields of exactly 256 characters', () => {
    expect(() =>
      validator().validateMetadata(metadata({ causationId: 'x'.repeat(256) })),
    ).not.toThrow();
  });

  it.each([
    ['room', { room: 'has space' }, 'metadata.room'],
    ['room', { room: 'x'.repeat(129) }, 'metadata.room'],
    ['room', { room: '{tag}' }, 'metadata.room'],
    ['userId', { userId: 'a b' }, 'metadata.userId'],
  ])('rejects a %s that cannot name a room: %j', (_what, fields, field) => {
    const error = thrown(() => validator().validateMetadata(metadata(fields)));
    expect(error.field).toBe(field);
    expect(error.message).toMatch(/letters, digits/);
  });

  it.each([
    ['empty', ''],
    ['a number', 5],
  ])('rejects an optional field that is %s', (_label, value) => {
    expect(
      thrown(() => validator().validateMetadata(metadata({ userId: value })))
        .field,
    ).toBe('metadata.userId');
  });

  it('checks the timestamp', () => {
    const error = thrown(() =>
      validator().validateMetadata(metadata({ timestamp: 'yesterday' })),
    );
    expect(error.field).toBe('metadata.timestamp');
  });
});

describe('EventValidator.validateTimestamp', () => {
  const day = 24 * 3600 * 1000;

  it.each([
    ['now', () => new Date().toISOString()],
    ['an hour ago', () => new Date(Date.now() - 3600 * 1000).toISOString()],
    ['an hour ahead', () => new Date(Date.now() + 3600 * 1000).toISOString()],
  ])('accepts %s', (_label, value) => {
    expect(() => validator().validateTimestamp(value())).not.toThrow();
  });

  it.each<[string, () => unknown]>([
    ['text', () => 'not a date'],
    ['an empty string', () => ''],
    ['a number', () => Date.now()],
    ['undefined', () => undefined],
    ['two days ago', () => new Date(Date.now() - 2 * day).toISOString()],
    ['two days ahead', () => new Date(Date.now() + 2 * day).toISOString()],
    ['the year 2000', () => '2000-01-01T00:00:00.000Z'],
  ])('rejects %s', (_label, value) => {
    const error = thrown(() => validator().validateTimestamp(value()));
    expect(error.field).toBe('metadata.timestamp');
    expect(error.message).toMatch(/ISO-8601/);
  });
});

describe('EventValidator.validateData', () => {
  it('passes a good payload', async () => {
    await expect(
      validator().validateData('photo.uploaded', { photoId: 'p1', size: 10 }),
    ).resolves.toBeUndefined();
  });

  it('allows unknown properties', async () => {
    await expect(
      validator().validateData('photo.uploaded', {
        photoId: 'p1',
        size: 10,
        extra: true,
      }),
    ).resolves.toBeUndefined();
  });

  it('passes anything for a type without a schema', async () => {
    await expect(
      validator().validateData('photo.deleted', 'anything'),
    ).resolves.toBeUndefined();
  });

  it('names the bad property and the DTO constraint', async () => {
    const error = await rejection(
      validator().validateData('photo.uploaded', { photoId: 'p1', size: -5 }),
    );
    expect(error.field).toBe('data.size');
    expect(error.message).toMatch(/photo\.uploaded/);
    expect(error.message).toMatch(/size must be a positive number/);
  });

  it('reports every failing property, the first one in field', async () => {
    const error = await rejection(
      validator().validateData('photo.uploaded', { size: 1.5 }),
    );
    expect(error.field).toBe('data.photoId');
    expect(error.message).toMatch(/data\.photoId: photoId must be a string/);
    expect(error.message).toMatch(/data\.size: size must be an integer number/);
  });

  it('names nested properties by their path', async () => {
    const error = await rejection(
      validator().validateData('photo.uploaded', {
        photoId: 'p1',
        size: 1,
        owner: { id: 7 },
      }),
    );
    expect(error.field).toBe('data.owner.id');
    expect(error.message).toMatch(/id must be a string/);
  });

  it.each<[string, unknown]>([
    ['null', null],
    ['a string', 'photo'],
    ['a number', 42],
    ['an array', [{ photoId: 'p1', size: 1 }]],
  ])('rejects %s data', async (_label, data) => {
    const error = await rejection(
      validator().validateData('photo.uploaded', data),
    );
    expect(error.field).toBe('data');
    expect(error.message).toMatch(
      /must be an object to match PhotoUploadedDto/,
    );
  });

  it('refuses data too deep for class-transformer with EventValidationError, naming limits.maxDepth', async () => {
    let data: unknown = { photoId: 'p1', size: 1 };
    for (let i = 0; i < 200_000; i++)
      data = { photoId: 'p1', size: 1, owner: data };
    const error = await rejection(
      validator().validateData('photo.uploaded', data),
    );
    expect(error.field).toBe('data');
    expect(error.limit).toBe(64);
    expect(error.message).toMatch(/limits\.maxDepth/);
  });

  it('uses schemas registered later', async () => {
    const v = validator();
    v.register('photo.deleted', OwnerDto);
    expect(v.hasSchema('photo.deleted')).toBe(true);
    expect((await rejection(v.validateData('photo.deleted', {}))).field).toBe(
      'data.id',
    );
  });
});
