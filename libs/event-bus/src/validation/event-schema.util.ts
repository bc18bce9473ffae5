import type { Type } from '@nestjs/common';
import type { EventSchemas } from '../interfaces/event-schema.interface.js';
import type { StandardSchemaV1 } from '../interfaces/standard-schema.interface.js';

/** One failed check of event data: the field (`data`, `data.items.0.name`) and what is wrong. */
export interface SchemaProblem {
  field: string;
  text: string;
}

/** A schema as the validator keeps it, its kind decided once at registration. */
export type CompiledEventSchema =
  | { kind: 'dto'; dto: Type<object> }
  | { kind: 'standard'; schema: StandardSchemaV1; vendor: string };

/** How an invalid schema value is described in the errors that refuse it. */
export const EVENT_SCHEMA_EXPECTED =
  'a class-validator DTO class or a Standard Schema v1 object (zod, valibot, arktype…)';

/** At most this many problems are listed in one error message; the rest are counted. */
const MAX_LISTED_PROBLEMS = 10;

/** True for an object (or function: arktype) that carries the Standard Schema v1 properties. */
export function isStandardSchema(value: unknown): value is StandardSchemaV1 {
  if (
    value === null ||
    (typeof value !== 'object' && typeof value !== 'function')
  )
    return false;
  const props = (value as { '~standard'?: unknown })['~standard'];
  return (
    typeof props === 'object' &&
    props !== null &&
    (props as { version?: unknown }).version === 1 &&
    typeof (props as { validate?: unknown }).validate === 'function'
  );
}

/**
 * Decides what a `schemas` value is, or why it is neither kind: a value with
 * `~standard` is a Standard Schema (of the wrong version, say, but never a DTO),
 * a constructible function is a DTO class.
 */
export function compileEventSchema(
  value: unknown,
): CompiledEventSchema | { kind: 'invalid'; expected: string } {
  if (isStandardSchema(value)) {
    const vendor = value['~standard'].vendor;
    return {
      kind: 'standard',
      schema: value,
      vendor: typeof vendor === 'string' && vendor !== '' ? vendor : 'standard',
    };
  }
  const props =
    value !== null && (typeof value === 'object' || typeof value === 'function')
      ? (value as { '~standard'?: { version?: unknown } })['~standard']
      : undefined;
  if (props !== undefined) {
    return {
      kind: 'invalid',
      expected: `${EVENT_SCHEMA_EXPECTED}; this one's "~standard" is not of version 1 with a validate function (version: ${JSON.stringify(props?.version) ?? 'missing'})`,
    };
  }
  // NOTE: arrow functions and methods have no prototype, so class-transformer could not instantiate them.
  if (typeof value === 'function' && typeof value.prototype === 'object')
    return { kind: 'dto', dto: value as Type<object> };
  return { kind: 'invalid', expected: EVENT_SCHEMA_EXPECTED };
}

/**
 * The problems of a Standard Schema's issues, each field the issue's path joined
 * with dots under `data` (path segments may be keys or `{ key }` objects).
 */
export function standardSchemaProblems(
  issues: ReadonlyArray<StandardSchemaV1.Issue>,
): SchemaProblem[] {
  return issues.map(issue => {
    const path = (issue.path ?? []).map(segment =>
      String(
        typeof segment === 'object' && segment !== null ? segment.key : segment,
      ),
    );
    return {
      field: path.length > 0 ? `data.${path.join('.')}` : 'data',
      text: String(issue.message),
    };
  });
}

/** `field: text; …` for an error message, the first ten problems and a count of the rest. */
export function describeProblems(problems: SchemaProblem[]): string {
  const listed = problems
    .slice(0, MAX_LISTED_PROBLEMS)
    .map(p => `${p.field}: ${p.text}`)
    .join('; ');
  const more = problems.length - MAX_LISTED_PROBLEMS;
  return more > 0 ? `${listed}; and ${more} more` : listed;
}

/**
 * Checks, at compile time, that every value is an event schema, and keeps the
 * object's exact type for `InferEvents<typeof schemas>`. Returns its argument.
 *
 * @param schemas a schema per event type, for the `schemas` option
 * @example
 * export const orderEvents = defineEvents({
 *   'order.created': z.object({ orderId: z.string(), total: z.number() }),
 *   'order.shipped': OrderShippedDto,
 * });
 * EventBusModule.forRoot({ serviceName: 'orders', schemas: orderEvents });
 *
 * @publicApi
 */
export function defineEvents<S extends EventSchemas>(schemas: S): S {
  return schemas;
}
