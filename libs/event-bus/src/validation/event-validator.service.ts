import { isValidRoomName, userRoom } from '../rooms/room-names.js';
import { Inject, Injectable } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validate, type ValidationError } from 'class-validator';
import { valueDepthExceeds } from '../envelope/json-depth.js';
import { EVENT_BUS_CONFIG } from '../event-bus.config.js';
import type { EventBusConfig } from '../event-bus.config.js';
import { messages } from '../event-bus.messages.js';
import { EventValidationError } from '../errors/event-validation.error.js';
import { InvalidConfigurationError } from '../errors/invalid-configuration.error.js';
import type { EventSchema } from '../interfaces/event-schema.interface.js';
import type { StandardSchemaV1 } from '../interfaces/standard-schema.interface.js';
import type { EventMetadata } from '../interfaces/event-envelope.interface.js';
import { isValidEventType } from '../matching/pattern-matcher.js';
import {
  compileEventSchema,
  describeProblems,
  standardSchemaProblems,
  type CompiledEventSchema,
  type SchemaProblem,
} from './event-schema.util.js';

const MAX_METADATA_STRING = 256;

function flatten(errors: ValidationError[], parent = 'data'): SchemaProblem[] {
  const out: SchemaProblem[] = [];
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
 * when a schema is registered for the type, the data against it: a class-validator
 * DTO or a Standard Schema (zod, valibot, arktype…). Size limits are checked by the
 * codec while it serializes.
 *
 * @publicApi
 */
@Injectable()
export class EventValidator {
  private readonly schemas = new Map<string, CompiledEventSchema>();
  private readonly maxDepth: number;

  constructor(@Inject(EVENT_BUS_CONFIG) config: EventBusConfig) {
    this.maxDepth = config.limits.maxDepth;
    for (const [type, schema] of Object.entries(config.schemas))
      this.register(type, schema);
  }

  /**
   * Registers a schema for an event type, replacing the one it had; later
   * publishes of that type must pass it.
   *
   * @param schema a class-validator DTO class or a Standard Schema v1 object
   * @throws InvalidConfigurationError when `schema` is neither
   * @example validator.register('photo.uploaded', PhotoUploadedDto)
   * @example validator.register('order.created', z.object({ orderId: z.string() }))
   */
  register(type: string, schema: EventSchema): void {
    this.validateType(type);
    const compiled = compileEventSchema(schema);
    if (compiled.kind === 'invalid') {
      throw new InvalidConfigurationError(
        messages.invalidEventSchema(type, schema, compiled.expected),
      );
    }
    this.schemas.set(type, compiled);
  }

  /** True when a schema is registered for `type`. */
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
   * Validates `data` against the schema registered for `type`, if any, and gives
   * back the data to publish: a DTO's data as given (unknown properties allowed,
   * nested objects checked where the DTO says so), a Standard Schema's output.
   *
   * @throws EventValidationError naming the first failing field (`data.size`) and the problems in its message (the first ten)
   */
  async validateData(type: string, data: unknown): Promise<unknown> {
    const schema = this.schemas.get(type);
    if (!schema) return data;
    if (
      schema.kind === 'dto' &&
      (data === null || typeof data !== 'object' || Array.isArray(data))
    ) {
      throw new EventValidationError(
        messages.dtoInvalid(
          type,
          `data must be an object to match ${schema.dto.name}`,
        ),
        'data',
      );
    }
    // NOTE: class-transformer and schema libraries recurse into data, so data deep enough to overflow
    // their stack is refused first. One level of slack: a Date or other toJSON leaf is a level here,
    // not in the JSON form, whose depth the codec then checks exactly.
    if (valueDepthExceeds(data, this.maxDepth + 1)) {
      throw new EventValidationError(
        messages.dataTooDeep(type, this.maxDepth),
        'data',
        this.maxDepth,
        'levels',
      );
    }
    if (schema.kind === 'standard')
      return this.validateStandard(type, schema.schema, schema.vendor, data);
    const instance = plainToInstance(schema.dto, data);
    const errors = await validate(instance, { forbidUnknownValues: false });
    if (errors.length > 0) {
      const problems = flatten(errors);
      throw new EventValidationError(
        messages.dtoInvalid(
          type,
          problems.length > 0 ? describeProblems(problems) : 'invalid',
        ),
        problems[0]?.field ?? 'data',
      );
    }
    return data;
  }

  private async validateStandard(
    type: string,
    schema: StandardSchemaV1,
    vendor: string,
    data: unknown,
  ): Promise<unknown> {
    // NOTE: a schema that throws (a bug in a refinement, say) fails the publish with its own error, as
    // Nest's StandardSchemaValidationPipe lets it through: it says nothing about which field is wrong.
    const result = await schema['~standard'].validate(data);
    if (result.issues) {
      const problems = standardSchemaProblems(result.issues);
      throw new EventValidationError(
        messages.schemaInvalid(
          type,
          vendor,
          problems.length > 0 ? describeProblems(problems) : 'invalid',
        ),
        problems[0]?.field ?? 'data',
      );
    }
    return result.value;
  }
}
