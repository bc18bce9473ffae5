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
import { InvalidConfigurationError } from '../errors/invalid-configuration.error.js';
import { resolveConfig } from '../event-bus.config.js';
import type { EventMetadata } from '../interfaces/event-envelope.interface.js';
import type { StandardSchemaV1 } from '../interfaces/standard-schema.interface.js';
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
  it('passes a good payload, giving back the data itself (a DTO does not transform)', async () => {
    const data = { photoId: 'p1', size: 10 };
    await expect(
      validator().validateData('photo.uploaded', data),
    ).resolves.toBe(data);
  });

  it('allows unknown properties', async () => {
    const data = { photoId: 'p1', size: 10, extra: true };
    await expect(
      validator().validateData('photo.uploaded', data),
    ).resolves.toBe(data);
  });

  it('passes anything for a type without a schema', async () => {
    await expect(
      validator().validateData('photo.deleted', 'anything'),
    ).resolves.toBe('anything');
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

/** A Standard Schema written by hand, as any library implements it: no zod needed. */
function standard<Output>(
  validate: (
    value: unknown,
  ) =>
    StandardSchemaV1.Result<Output> | Promise<StandardSchemaV1.Result<Output>>,
  vendor = 'hand',
): StandardSchemaV1<unknown, Output> & { calls: number } {
  const schema = {
    calls: 0,
    '~standard': {
      version: 1 as const,
      vendor,
      validate: (value: unknown) => {
        schema.calls++;
        return validate(value);
      },
    },
  };
  return schema;
}

/** `{ name: string }`, trimmed, with `tags` defaulting to []: a schema that transforms. */
const order = standard<{ name: string; tags: string[] }>(value => {
  const name = (value as { name?: unknown } | null)?.name;
  if (typeof name !== 'string')
    return { issues: [{ message: 'Expected a string', path: ['name'] }] };
  const tags = (value as { tags?: string[] }).tags ?? [];
  return { value: { name: name.trim(), tags } };
});

const standardValidator = () =>
  new EventValidator(
    resolveConfig({
      serviceName: 'test',
      schemas: { 'photo.uploaded': PhotoUploadedDto, 'order.created': order },
    }),
  );

describe('EventValidator.validateData with a Standard Schema', () => {
  it('gives back the schema output, which is what gets published', async () => {
    await expect(
      standardValidator().validateData('order.created', { name: '  Ada ' }),
    ).resolves.toEqual({ name: 'Ada', tags: [] });
  });

  it('keeps both kinds side by side: the DTO type is still checked by its DTO', async () => {
    const v = standardValidator();
    expect(v.hasSchema('order.created')).toBe(true);
    expect(v.hasSchema('photo.uploaded')).toBe(true);
    expect(
      (await rejection(v.validateData('photo.uploaded', { size: 1 }))).field,
    ).toBe('data.photoId');
  });

  it('names the field by the issue path joined with dots, and the vendor and message', async () => {
    const error = await rejection(
      standardValidator().validateData('order.created', { name: 7 }),
    );
    expect(error.field).toBe('data.name');
    expect(error.code).toBe('EVENT_VALIDATION');
    expect(error.message).toBe(
      'Event "order.created" data failed validation against its registered hand schema: data.name: Expected a string.',
    );
  });

  it('reads path segments given as { key } objects and numbers', async () => {
    const v = standardValidator();
    v.register(
      'cart.updated',
      standard(() => ({
        issues: [
          {
            message: 'Required',
            path: [{ key: 'items' }, 0, { key: 'sku' }],
          },
          { message: 'Too big', path: ['total'] },
        ],
      })),
    );
    const error = await rejection(v.validateData('cart.updated', {}));
    expect(error.field).toBe('data.items.0.sku');
    expect(error.message).toMatch(
      /: data\.items\.0\.sku: Required; data\.total: Too big\.$/,
    );
  });

  it('names data itself for an issue without a path, and an empty issue list still refuses', async () => {
    const v = standardValidator();
    v.register(
      'note.added',
      standard(() => ({ issues: [{ message: 'Expected an object' }] })),
    );
    v.register(
      'note.removed',
      standard(() => ({ issues: [] })),
    );
    const pathless = await rejection(v.validateData('note.added', 'x'));
    expect(pathless.field).toBe('data');
    expect(pathless.message).toMatch(/data: Expected an object\.$/);
    const empty = await rejection(v.validateData('note.removed', {}));
    expect(empty.field).toBe('data');
    expect(empty.message).toMatch(/schema: invalid\.$/);
  });

  it('lists the first ten issues and counts the rest', async () => {
    const v = standardValidator();
    v.register(
      'many.issues',
      standard(() => ({
        issues: Array.from({ length: 12 }, (_, i) => ({
          message: 'bad',
          path: [`f${i}`],
        })),
      })),
    );
    const error = await rejection(v.validateData('many.issues', {}));
    expect(error.message).toMatch(/data\.f9: bad; and 2 more\.$/);
    expect(error.message).not.toMatch(/data\.f10/);
  });

  it('awaits an asynchronous schema, for success and for failure', async () => {
    const v = standardValidator();
    v.register(
      'user.renamed',
      standard(async value => {
        await new Promise(resolve => setImmediate(resolve));
        return typeof value === 'string'
          ? { value: value.toUpperCase() }
          : { issues: [{ message: 'Expected a string', path: [] }] };
      }, 'async-hand'),
    );
    await expect(v.validateData('user.renamed', 'ada')).resolves.toBe('ADA');
    const error = await rejection(v.validateData('user.renamed', 42));
    expect(error.field).toBe('data');
    expect(error.message).toMatch(/async-hand schema: data: Expected a string/);
  });

  it('lets a schema decide what data may be: no object is required, unlike a DTO', async () => {
    const v = standardValidator();
    v.register(
      'counter.set',
      standard(value =>
        typeof value === 'number'
          ? { value }
          : { issues: [{ message: 'Expected a number' }] },
      ),
    );
    await expect(v.validateData('counter.set', 3)).resolves.toBe(3);
  });

  it('refuses data too deep before the schema runs', async () => {
    const v = standardValidator();
    const deep = standard(value => ({ value }));
    v.register('deep.event', deep);
    let data: unknown = {};
    for (let i = 0; i < 100; i++) data = { child: data };
    const error = await rejection(v.validateData('deep.event', data));
    expect(error.limit).toBe(64);
    expect(deep.calls).toBe(0);
  });

  it("lets a schema's own exception through (it names no field)", async () => {
    const v = standardValidator();
    v.register(
      'buggy.event',
      standard(() => {
        throw new TypeError('boom');
      }),
    );
    await expect(v.validateData('buggy.event', {})).rejects.toThrow(TypeError);
  });

  it('register() refuses what is neither a DTO class nor a Standard Schema, naming the type', () => {
    const v = standardValidator();
    expect(() =>
      v.register('order.paid', { validate: () => true } as never),
    ).toThrow(InvalidConfigurationError);
    expect(() =>
      v.register('order.paid', { validate: () => true } as never),
    ).toThrow(
      'The schema given for event type "order.paid" is {}: give a class-validator DTO class or a Standard Schema v1 object (zod, valibot, arktype…).',
    );
    expect(v.hasSchema('order.paid')).toBe(false);
  });

  it('register() replaces a DTO with a Standard Schema', async () => {
    const v = standardValidator();
    v.register('photo.uploaded', order);
    await expect(
      v.validateData('photo.uploaded', { name: 'x' }),
    ).resolves.toEqual({ name: 'x', tags: [] });
  });
});
