import { isValidRoomName, userRoom } from '../rooms/room-names.js';
import { Inject, Injectable, type Type } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validate, type ValidationError } from 'class-validator';
import { valueDepthExceeds } from '../envelope/json-depth.js';
import { EVENT_BUS_CONFIG } from '../event-bus.config.js';
import type { EventBusConfig } from '../event-bus.config.js';
import { messages } from '../event-bus.messages.js';
import { EventValidationError } from '../errors/event-validation.error.js';
import type { EventMetadata } from '../interfaces/event-envelope.interface.js';
import { isValidEventType } from '../matching/pattern-matcher.js';

const MAX_METADATA_STRING = 256;

function flatten(
  errors: ValidationError[],
  parent = 'data',
): Array<{ field: string; text: string }> {
  const out: Array<{ field: string; text: string }> = [];
  for (const error of errors) {
    const field = `${parent}.${error.property}`;
    for (const text of Object.values(error.constraints ?? {}))
      out.push({ field, text });
    if (error.children?.length) out.push(...flatten(error.children, field));
  }
  return out;
}

/**
 * Checks events before they are published: type format, metadata, timestamp and,
 * when a DTO is registered for the type, the data against it (class-validator).
 * Size limits are checked by the codec while it serializes.
 *
 * @publicApi
 */
@Injectable()
export class EventValidator {
  private readonly schemas = new Map<string, Type<object>>();
  private readonly maxDepth: number;

  constructor(@Inject(EVENT_BUS_CONFIG) config: EventBusConfig) {
    this.maxDepth = config.limits.maxDepth;
    for (const [type, dto] of Object.entries(config.schemas))
      this.register(type, dto);
  }

  /**
   * Registers a class-validator DTO for an event type; later publishes of that
   * type must pass it.
   *
   * @example validator.register('photo.uploaded', PhotoUploadedDto)
   */
  register(type: string, dto: Type<object>): void {
    this.validateType(type);
    this.schemas.set(type, dto);
  }

  /** True when a DTO is registered for `type`. */
  hasSchema(type: string): boolean {
    return this.schemas.has(type);
  }

  /** Throws `EventValidationError` unless `type` is lower-case dot-separated segments. */
  validateType(type: unknown): asserts type is string {
    if (!isValidEventType(type)) {
      throw new EventValidationError(messages.invalidType(type), 'type');
    }
  }

  /** Throws `EventValidationError` on missing or malformed metadata. */
  validateMetadata(metadata: EventMetadata): void {
    this.validateMetadataFields(metadata);
    this.validateTimestamp(metadata.timestamp);
  }

  /** `validateMetadata` without the timestamp (for metadata whose timestamp the bus just made). */
  validateMetadataFields(metadata: EventMetadata): void {
    for (const field of [
      'source',
      'timestamp',
      'traceId',
      'correlationId',
    ] as const) {
      if (typeof metadata[field] !== 'string' || metadata[field].length === 0) {
        throw new EventValidationError(
          messages.invalidMetadata(
            field,
            'it is required and must be a non-empty string',
          ),
          `metadata.${field}`,
        );
      }
    }
    for (const field of [
      'source',
      'traceId',
      'correlationId',
      'causationId',
      'room',
      'userId',
      'clientId',
      'sessionId',
      'idempotencyKey',
    ] as const) {
      const value = metadata[field];
      if (value === undefined) continue;
      if (
        typeof value !== 'string' ||
        value.length === 0 ||
        value.length > MAX_METADATA_STRING
      ) {
        throw new EventValidationError(
          messages.invalidMetadata(
            field,
            `it must be a non-empty string of at most ${MAX_METADATA_STRING} characters`,
          ),
          `metadata.${field}`,
          MAX_METADATA_STRING,
          'characters',
        );
      }
    }
    if (metadata.room !== undefined && !isValidRoomName(metadata.room)) {
      throw new EventValidationError(
        messages.invalidRoom(metadata.room),
        'metadata.room',
      );
    }
    if (
      metadata.userId !== undefined &&
      !isValidRoomName(userRoom(metadata.userId))
    ) {
      throw new EventValidationError(
        messages.invalidRoom(userRoom(metadata.userId)),
        'metadata.userId',
      );
    }
  }

  /** Throws `EventValidationError` unless `value` is an ISO-8601 date within a day of now. */
  validateTimestamp(value: unknown): void {
    const time = typeof value === 'string' ? Date.parse(value) : NaN;
    if (Number.isNaN(time) || Math.abs(time - Date.now()) > 24 * 3600 * 1000) {
      throw new EventValidationError(
        messages.invalidTimestamp(value),
        'metadata.timestamp',
      );
    }
  }

  /**
   * Validates `data` against the DTO registered for `type`, if any. Unknown
   * properties are allowed; nested objects are checked where the DTO says so.
   */
  async validateData(type: string, data: unknown): Promise<void> {
    const dto = this.schemas.get(type);
    if (!dto) return;
    if (data === null || typeof data !== 'object' || Array.isArray(data)) {
      throw new EventValidationError(
        messages.dtoInvalid(
          type,
          `data must be an object to match ${dto.name}`,
        ),
        'data',
      );
    }
    // NOTE: class-transformer recurses into data, so data deep enough to overflow its stack is
    // refused first. One level of slack: a Date or other toJSON leaf is a level here, not in the
    // JSON form, whose depth the codec then checks exactly.
    if (valueDepthExceeds(data, this.maxDepth + 1)) {
      throw new EventValidationError(
        messages.dataTooDeep(type, this.maxDepth),
        'data',
        this.maxDepth,
        'levels',
      );
    }
    const instance = plainToInstance(dto, data);
    const errors = await validate(instance, { forbidUnknownValues: false });
    if (errors.length > 0) {
      const problems = flatten(errors);
      const first = problems[0] ?? { field: 'data', text: 'invalid' };
      throw new EventValidationError(
        messages.dtoInvalid(
          type,
          problems.map(p => `${p.field}: ${p.text}`).join('; '),
        ),
        first.field,
      );
    }
  }
}
