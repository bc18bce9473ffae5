import { IsOptional, IsString, Matches } from 'class-validator';
import { ROOM_NAME_PATTERN as ROOM } from '../../rooms/room-names.js';
/** A ULID: 26 characters of Crockford base 32. */
const EVENT_ID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

/** Payload of a client's `subscribe`. @publicApi */
export class SubscribeRequest {
  @IsString()
  @Matches(ROOM, { message: 'room must be 1-128 characters of letters, digits and "_ - . : @"' })
  room!: string;

  @IsOptional()
  @IsString()
  @Matches(EVENT_ID, { message: 'lastEventId must be the id of an event (a 26-character ULID)' })
  lastEventId?: string;
}

/** Payload of a client's `unsubscribe`. @publicApi */
export class UnsubscribeRequest {
  @IsString()
  @Matches(ROOM, { message: 'room must be 1-128 characters of letters, digits and "_ - . : @"' })
  room!: string;
}
