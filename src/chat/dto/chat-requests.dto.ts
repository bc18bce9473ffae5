import {
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
} from 'class-validator';
import { CHAT_ID_PATTERN, MAX_CHAT_ID_LENGTH } from '../chat-ids.js';

/** Longest message, in characters (UTF-16 code units). */
export const MAX_CONTENT_LENGTH = 2000;
/** Messages per `chat:history` page. */
export const MAX_HISTORY_LIMIT = 100;

/**
 * One emoji as Unicode lists them (with its skin tone, joiners, flags, keycaps),
 * or one pictographic character without its variation selector (a bare ❤).
 * Built at run time: TypeScript's ES2022 target does not know the `v` flag.
 */
const SINGLE_EMOJI = new RegExp(
  '^(?:\\p{RGI_Emoji}|\\p{Extended_Pictographic})$',
  'v',
);

const MESSAGE_ID_PATTERN =
  /^(dm:[A-Za-z0-9_.@-]{1,100}:[A-Za-z0-9_.@-]{1,100}|photo:[0-9a-f-]{36})#[1-9][0-9]{0,15}$/;
const MESSAGE_ID = {
  message: 'messageId must be a message id: {chatId}#{seq}',
};
const CHAT_ID = {
  message:
    'chatId must be a chat id: dm:{userA}:{userB} (sorted) or photo:{photoId}',
};

/** `{ chatId }`: `typing:start`, `typing:stop`, `chat:read-all`. */
export class ChatRequest {
  @IsString()
  @MaxLength(MAX_CHAT_ID_LENGTH)
  @Matches(CHAT_ID_PATTERN, CHAT_ID)
  chatId!: string;
}

/** `message:send`. */
export class SendMessageRequest extends ChatRequest {
  @IsString()
  @MinLength(1)
  @MaxLength(MAX_CONTENT_LENGTH)
  content!: string;

  /** The sender's id for the message: a send retried with it is stored once. */
  @IsOptional()
  @IsString()
  @Matches(/^[A-Za-z0-9_-]{1,64}$/, {
    message: 'clientMessageId must be 1-64 letters, digits, _ or -',
  })
  clientMessageId?: string;
}

/** `{ messageId }`: `message:delete`. */
export class MessageRequest {
  @IsString()
  @MaxLength(MAX_CHAT_ID_LENGTH + 17)
  @Matches(MESSAGE_ID_PATTERN, MESSAGE_ID)
  messageId!: string;
}

/** `message:edit`. */
export class EditMessageRequest extends MessageRequest {
  @IsString()
  @MinLength(1)
  @MaxLength(MAX_CONTENT_LENGTH)
  content!: string;
}

/** `message:react`: toggles the user's reaction. */
export class ReactRequest extends MessageRequest {
  /**
   * One emoji (a few code points: skin tones and joiners make some long), and
   * nothing else: reactions are keys of the message's `reactions`, so a word
   * such as `__proto__` or `constructor` must not pass for one.
   */
  @IsString()
  @MinLength(1)
  @MaxLength(16)
  @Matches(SINGLE_EMOJI, {
    message: 'emoji must be one emoji (e.g. 👍)',
  })
  emoji!: string;
}

/** `message:read`: the chat is read up to this message. */
export class ReadRequest extends ChatRequest {
  @IsString()
  @MaxLength(MAX_CHAT_ID_LENGTH + 17)
  @Matches(MESSAGE_ID_PATTERN, MESSAGE_ID)
  messageId!: string;
}

/** `chat:history`: a page of messages before `before` (or the latest). */
export class HistoryRequest extends ChatRequest {
  @IsOptional()
  @IsString()
  @MaxLength(MAX_CHAT_ID_LENGTH + 17)
  @Matches(MESSAGE_ID_PATTERN, MESSAGE_ID)
  before?: string;

  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_HISTORY_LIMIT)
  limit?: number;
}

/** `chat:open`: the direct chat with another user. */
export class OpenChatRequest {
  @IsString()
  @Matches(/^[A-Za-z0-9_.@-]{1,100}$/, {
    message: 'userId must be 1-100 letters, digits, _ - . or @',
  })
  userId!: string;
}
