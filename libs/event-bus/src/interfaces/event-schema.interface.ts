import type { Type } from '@nestjs/common';
import type { StandardSchemaV1 } from './standard-schema.interface.js';

/**
 * What checks one event type's data: a class-validator DTO class, or any
 * Standard Schema v1 object (zod, valibot, arktype…), as Nest 12's
 * `ValidationPipe` and `StandardSchemaValidationPipe` take them.
 *
 * @publicApi
 */
export type EventSchema = Type<object> | StandardSchemaV1;

/**
 * Schemas by event type, as the `schemas` option takes them.
 *
 * @example { 'photo.uploaded': PhotoUploadedDto, 'order.created': z.object({ orderId: z.string() }) }
 *
 * @publicApi
 */
export type EventSchemas = Record<string, EventSchema>;

/**
 * The data type of events checked by `S`: a Standard Schema's output (what the
 * bus publishes and handlers receive), or a DTO class' instance type.
 *
 * @publicApi
 */
export type InferEventData<S> =
  // NOTE: the Standard Schema case first: arktype's schemas are functions too.
  S extends StandardSchemaV1
    ? StandardSchemaV1.InferOutput<S>
    : S extends Type<infer T>
      ? T
      : never;

/**
 * The `EventMap` entries of a schemas object, for typing events from their schemas:
 *
 * @example
 * export const schemas = defineEvents({ 'order.created': z.object({ orderId: z.string() }) });
 * declare module '@shared-infra/event-bus' {
 *   interface EventMap extends InferEvents<typeof schemas> {}
 * }
 *
 * @publicApi
 */
export type InferEvents<S extends EventSchemas> = {
  -readonly [K in keyof S & string]: InferEventData<S[K]>;
};
