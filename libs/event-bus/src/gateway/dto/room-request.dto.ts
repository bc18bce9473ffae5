import {
  Allow,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
} from 'class-validator';
import {
  EVENT_TYPE_REGEX,
  MAX_EVENT_TYPE_LENGTH,
} from '../../event-bus.constants.js';
import { ROOM_NAME_PATTERN as ROOM } from '../../rooms/room-names.js';
import type {
  PublishPayload,
  SignalPayload,
  SubscribePayload,
  UnsubscribePayload,
} from '../interfaces.js';
/** A ULID: 26 characters of Crockford base 32. */
const EVENT_ID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

/** Payload of a client's `subscribe`. @publicApi */
export class SubscribeRequest implements SubscribePayload {
  @IsString()
  @Matches(ROOM, {
    message: 'room must be 1-128 characters of letters, digits and "_ - . : @"',
  })
  room!: string;

  @IsOptional()
  @IsString()
  @Matches(EVENT_ID, {
    message: 'lastEventId must be the id of an event (a 26-character ULID)',
  })
  lastEventId?: string;
}

/** Payload of a client's `unsubscribe`. @publicApi */
export class UnsubscribeRequest implements UnsubscribePayload {
  @IsString()
  @Matches(ROOM, {
    message: 'room must be 1-128 characters of letters, digits and "_ - . : @"',
  })
  room!: string;
}

/** Payload of a client's `publish`. @publicApi */
export class PublishRequest implements PublishPayload {
  @IsString()
  @MaxLength(MAX_EVENT_TYPE_LENGTH)
  @Matches(EVENT_TYPE_REGEX, {
    message:
      'type must be lower-case dot-separated segments, e.g. "chat.message"',
  })
  type!: string;

  /** Any JSON; checked against the type's DTO when one is registered. */
  @Allow()
  data?: unknown;
}

/** Payload of a client's `signal`. @publicApi */
export class SignalRequest implements SignalPayload {
  @IsString()
  @Matches(ROOM, {
    message: 'room must be 1-128 characters of letters, digits and "_ - . : @"',
  })
  room!: string;

  @IsString()
  @Matches(/^[a-z][a-z0-9_.-]{0,31}$/, {
    message:
      'kind must be 1-32 lower-case letters, digits and "_ . -", e.g. "typing" or "read"',
  })
  kind!: string;

  @Allow()
  data?: unknown;
}
