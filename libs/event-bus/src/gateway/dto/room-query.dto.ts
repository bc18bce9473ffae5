import {
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
} from 'class-validator';
import { MAX_HISTORY_LIMIT } from '../../rooms/room-history-page.js';
import { ROOM_NAME_PATTERN as ROOM } from '../../rooms/room-names.js';
import type { HistoryPayload, PresencePayload } from '../interfaces.js';

/** A ULID: 26 characters of Crockford base 32. */
const EVENT_ID = /^[0-9A-HJKMNP-TV-Z]{26}$/;
const ROOM_MESSAGE =
  'room must be 1-128 characters of letters, digits and "_ - . : @"';

/** Payload of a client's `history`. @publicApi */
export class HistoryRequest implements HistoryPayload {
  @IsString()
  @Matches(ROOM, { message: ROOM_MESSAGE })
  room!: string;

  @IsOptional()
  @IsString()
  @Matches(EVENT_ID, {
    message: 'since must be the id of an event (a 26-character ULID)',
  })
  since?: string;

  @IsOptional()
  @IsString()
  @Matches(EVENT_ID, {
    message: 'before must be the id of an event (a 26-character ULID)',
  })
  before?: string;

  @IsOptional()
  @IsInt({ message: 'limit must be a whole number' })
  @Min(1)
  @Max(MAX_HISTORY_LIMIT)
  limit?: number;
}

/** Payload of a client's `presence`. @publicApi */
export class PresenceRequest implements PresencePayload {
  @IsString()
  @Matches(ROOM, { message: ROOM_MESSAGE })
  room!: string;
}
