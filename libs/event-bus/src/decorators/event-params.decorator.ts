import type { PipeTransform, Type } from '@nestjs/common';
import { EVENT_ARGS_METADATA } from '../event-bus.constants.js';

/**
 * Kinds of handler parameters. The numbers are those of Nest's microservices
 * (`RpcParamtype`): Nest's pipes consumer reports 3 as `'body'`, so
 * `ValidationPipe` validates `@EventPayload()` as it validates `@Body()`.
 */
export enum EventParamType {
  DATA = 3,
  ENVELOPE = 6,
}

function createEventParamDecorator(type: EventParamType) {
  return (
      property?: string,
      ...pipes: Array<Type<PipeTransform> | PipeTransform>
    ): ParameterDecorator =>
    (target, key, index) => {
      const ctor = target.constructor;
      const args =
        Reflect.getMetadata(EVENT_ARGS_METADATA, ctor, key as string) ?? {};
      Reflect.defineMetadata(
        EVENT_ARGS_METADATA,
        { ...args, [`${type}:${index}`]: { index, data: property, pipes } },
        ctor,
        key as string,
      );
    };
}

/**
 * Injects the event's `data` (or one property of it) into an `@OnEvent` handler
 * parameter; pipes given here, or with `@UsePipes`, transform and validate it.
 *
 * @example
 * @OnEvent('photo.uploaded')
 * @UsePipes(new ValidationPipe())
 * handle(@EventPayload() data: PhotoUploadedDto) { … }
 *
 * @publicApi
 */
export function EventPayload(
  property?: string,
  ...pipes: Array<Type<PipeTransform> | PipeTransform>
): ParameterDecorator {
  return createEventParamDecorator(EventParamType.DATA)(property, ...pipes);
}

/**
 * Injects the whole envelope (id, type, data, metadata) into a handler parameter.
 *
 * @publicApi
 */
export function Envelope(): ParameterDecorator {
  return createEventParamDecorator(EventParamType.ENVELOPE)();
}
