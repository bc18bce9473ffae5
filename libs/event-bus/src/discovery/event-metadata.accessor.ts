import { Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ON_EVENT_METADATA } from '../event-bus.constants.js';
import type { OnEventMetadata } from '../interfaces/on-event-options.interface.js';

/** The one reader of `@OnEvent` metadata; always returns an array or undefined. */
@Injectable()
export class EventMetadataAccessor {
  constructor(private readonly reflector: Reflector) {}

  getOnEventMetadata(target: unknown): OnEventMetadata[] | undefined {
    if (typeof target !== 'function') return undefined;
    const metadata = this.reflector.get<
      OnEventMetadata[] | OnEventMetadata | undefined
    >(ON_EVENT_METADATA, target);
    if (!metadata) return undefined;
    return Array.isArray(metadata) ? metadata : [metadata];
  }
}
