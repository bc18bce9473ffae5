import type { ParamData } from '@nestjs/common';
import type { ParamsFactory } from '@nestjs/core';
import { EventParamType } from '../decorators/event-params.decorator.js';
import type { EventEnvelope } from '../interfaces/event-envelope.interface.js';

/** Maps `@EventPayload()` / `@Envelope()` to values; args are `[envelope]`. */
export class EventParamsFactory implements ParamsFactory {
  exchangeKeyForValue(type: number, data: ParamData, args: unknown[]): unknown {
    const envelope = args[0] as EventEnvelope | undefined;
    if (!envelope) return undefined;
    switch (type as EventParamType) {
      case EventParamType.DATA: {
        if (typeof data !== 'string' || !data) return envelope.data;
        const payload = envelope.data as Record<string, unknown> | null;
        return payload && typeof payload === 'object'
          ? payload[data]
          : undefined;
      }
      case EventParamType.ENVELOPE:
        return envelope;
      default:
        return undefined;
    }
  }
}
