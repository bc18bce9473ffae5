import { Inject, Injectable } from '@nestjs/common';
import {
  EventBusService,
  IDENTITY_ID_PATTERN,
  OnEvent,
  type EventOf,
} from '@shared-infra/event-bus';
import {
  EventBusGateway,
  EventBusGatewayService,
  GatewayAckError,
  userRoom,
} from '@shared-infra/event-bus/gateway';
import { PhotoOwners } from '../photos/photo-owners.service.js';
import { newChatsPerDayFromEnv, utcDay } from './chat-limits.js';
import {
  chatRoom,
  directChatId,
  MAX_CHAT_ID_LENGTH,
  parseChatId,
  photoChatId,
  parseMessageId,
  type ParsedChatId,
} from './chat-ids.js';
import type {
  ChatHistoryPage,
  ChatMessage,
  ChatSummary,
  ReactionChange,
  ReadReceipt,
} from './chat.interfaces.js';
import {
  CHAT_STORE,
  MAX_JOINED_CHATS,
  type ChatListChange,
  type ChatStore,
} from './chat.store.js';

/** Distinct emoji on one message. */
export const MAX_REACTIONS_PER_MESSAGE = 20;
/** Entries of `chat:list` and of the demo's directory (`users:list`). */
const LIST_LIMIT = 50;

/** A chat member's own view: who they are. */
export interface ChatUser {
  userId: string;
}

/** A user's presence, as `chat:list`, `chat:open` and `users:list` give it to someone they share it with. */
export interface Presence {
  userId: string;
  /** Absent (and `lastSeen` too) when the user does not share their presence with the asker. */
  online?: boolean;
  lastSeen?: string;
}

/**
 * The demo's chats: direct messages between two users and a comment thread
 * per photo. Every request checks that the user is a member of the chat (see
 * `chat-ids.ts`); what changes is stored first, then published to the chat's
 * room through the bus, so every instance's sockets in it get it and the room
 * history can replay it to a socket that reconnects.
 */
@Injectable()
export class ChatService {
  /** `CHAT_NEW_CHATS_PER_DAY`: read (and checked) when the app starts. */
  private readonly newChatsPerDay = newChatsPerDayFromEnv();

  constructor(
    @Inject(CHAT_STORE) private readonly store: ChatStore,
    private readonly bus: EventBusService,
    private readonly gatewayService: EventBusGatewayService,
    private readonly gateway: EventBusGateway,
    private readonly owners: PhotoOwners,
  ) {}

  /** Whether `userId` is in the chat; false for anything that is not a chat id. */
  async isMember(userId: string, chatId: string): Promise<boolean> {
    const parsed = parseChatId(chatId);
    return parsed !== undefined && this.memberOf(userId, parsed);
  }

  /** The chats a user's new socket joins (`chat:{id}` rooms). */
  async chatsToJoin(userId: string): Promise<string[]> {
    const chats = await this.store.chats(userId, MAX_JOINED_CHATS);
    const allowed = await Promise.all(
      chats.map(chatId => this.isMember(userId, chatId)),
    );
    return chats.filter((_, i) => allowed[i]);
  }

  /**
   * The chats whose other member may hear that `userId` came or went
   * (`user:status`): the direct chats among those their sockets join in which
   * they have sent a message themselves. Opening a chat with someone, or
   * writing to them, shares nothing of theirs.
   */
  async chatsSharingPresence(userId: string): Promise<string[]> {
    const chats = (await this.chatsToJoin(userId)).filter(
      chatId => parseChatId(chatId)?.kind === 'direct',
    );
    const shared = await Promise.all(
      chats.map(async chatId =>
        (await this.store.senders(chatId)).includes(userId),
      ),
    );
    return chats.filter((_, i) => shared[i]);
  }

  /**
   * The direct chat with `peerId`, summarised. It creates nothing: the chat
   * is stored with its first message (`send`). `forbidden` for a user who
   * never signed in to the demo.
   */
  async open(user: ChatUser, peerId: string): Promise<ChatSummary> {
    if (!IDENTITY_ID_PATTERN.test(peerId) || peerId === user.userId)
      throw new GatewayAckError(
        'invalid',
        'give the user id of someone else to chat with',
      );
    const chatId = directChatId(user.userId, peerId);
    if (chatId.length > MAX_CHAT_ID_LENGTH)
      throw new GatewayAckError(
        'invalid',
        `the two user ids are too long for a chat id (at most ${MAX_CHAT_ID_LENGTH - 4} characters together)`,
      );
    await this.assertKnown(peerId);
    return this.summary(user.userId, chatId);
  }

  async send(
    user: ChatUser,
    request: { chatId: string; content: string; clientMessageId?: string },
  ): Promise<ChatMessage> {
    const parsed = await this.assertMember(user.userId, request.chatId);
    if (request.content.trim().length === 0)
      throw new GatewayAckError('invalid', 'content must not be blank');
    if (parsed.kind === 'direct')
      await this.assertMayStart(user, request.chatId, parsed);
    await this.track(request.chatId, this.members(user.userId, parsed));
    const { message, duplicate } = await this.store.append({
      chatId: request.chatId,
      senderId: user.userId,
      content: request.content,
      clientMessageId: request.clientMessageId,
      createdAt: new Date().toISOString(),
    });
    // A retried send (same clientMessageId) was published the first time.
    if (!duplicate)
      await this.bus.publishToRoom(
        chatRoom(request.chatId),
        'chat.message.new',
        message,
      );
    return message;
  }

  async edit(
    user: ChatUser,
    request: { messageId: string; content: string },
  ): Promise<ChatMessage> {
    if (request.content.trim().length === 0)
      throw new GatewayAckError('invalid', 'content must not be blank');
    const message = await this.change(user, request.messageId, current => {
      this.assertAuthor(user, current, 'edit');
      if (current.deleted)
        throw new GatewayAckError('invalid', 'the message was deleted');
      return {
        ...current,
        content: request.content,
        editedAt: new Date().toISOString(),
      };
    });
    await this.bus.publishToRoom(
      chatRoom(message.chatId),
      'chat.message.edited',
      message,
    );
    return message;
  }

  async delete(
    user: ChatUser,
    request: { messageId: string },
  ): Promise<ChatMessage> {
    let changed = false;
    const message = await this.change(user, request.messageId, current => {
      this.assertAuthor(user, current, 'delete');
      changed = !current.deleted;
      if (current.deleted) return current;
      return {
        ...current,
        content: '',
        deleted: true,
        deletedAt: new Date().toISOString(),
        reactions: {},
      };
    });
    if (changed)
      await this.bus.publishToRoom(
        chatRoom(message.chatId),
        'chat.message.deleted',
        message,
      );
    return message;
  }

  /** Adds the user's reaction, or takes it back when they had given it. */
  async react(
    user: ChatUser,
    request: { messageId: string; emoji: string },
  ): Promise<ReactionChange> {
    const { emoji } = request;
    let added = false;
    const message = await this.change(user, request.messageId, current => {
      if (current.deleted)
        throw new GatewayAckError('invalid', 'the message was deleted');
      const reactions = { ...current.reactions };
      // Own keys only: what the prototype has is nobody's reaction.
      const users = Object.hasOwn(reactions, emoji) ? reactions[emoji]! : [];
      added = !users.includes(user.userId);
      if (added && users.length === 0)
        if (Object.keys(reactions).length >= MAX_REACTIONS_PER_MESSAGE)
          throw new GatewayAckError(
            'invalid',
            `a message takes at most ${MAX_REACTIONS_PER_MESSAGE} different reactions`,
          );
      const next = added
        ? [...users, user.userId]
        : users.filter(id => id !== user.userId);
      if (next.length > 0) reactions[emoji] = next;
      else delete reactions[emoji];
      return { ...current, reactions };
    });
    const change: ReactionChange = {
      chatId: message.chatId,
      messageId: message.id,
      emoji,
      userId: user.userId,
      added,
      reactions: message.reactions,
    };
    await this.bus.publishToRoom(
      chatRoom(message.chatId),
      'chat.message.reaction',
      change,
    );
    return change;
  }

  /** Marks the chat read up to `messageId`; pushes the receipt when it moved on. */
  async read(
    user: ChatUser,
    request: { chatId: string; messageId: string },
  ): Promise<ReadReceipt> {
    await this.assertMember(user.userId, request.chatId);
    const target = parseMessageId(request.messageId);
    if (!target || target.chatId !== request.chatId)
      throw new GatewayAckError(
        'invalid',
        `"${request.messageId}" is not a message of chat "${request.chatId}"`,
      );
    const message = await this.store.get(request.chatId, target.seq);
    if (!message)
      throw new GatewayAckError(
        'invalid',
        `no message "${request.messageId}" (older ones than the last kept are gone)`,
      );
    return this.markRead(user, message);
  }

  /** Marks everything in the chat read (up to its latest message). */
  async readAll(
    user: ChatUser,
    request: { chatId: string },
  ): Promise<ReadReceipt | undefined> {
    await this.assertMember(user.userId, request.chatId);
    const { messages } = await this.store.page(request.chatId, undefined, 1);
    const latest = messages.at(-1);
    return latest ? this.markRead(user, latest) : undefined;
  }

  async history(
    user: ChatUser,
    request: { chatId: string; before?: string; limit?: number },
  ): Promise<ChatHistoryPage> {
    await this.assertMember(user.userId, request.chatId);
    let beforeSeq: number | undefined;
    if (request.before !== undefined) {
      const before = parseMessageId(request.before);
      if (!before || before.chatId !== request.chatId)
        throw new GatewayAckError(
          'invalid',
          `"before" must be the id of a message of chat "${request.chatId}"`,
        );
      beforeSeq = before.seq;
    }
    const [page, reads] = await Promise.all([
      this.store.page(request.chatId, beforeSeq, request.limit ?? 50),
      this.store.reads(request.chatId),
    ]);
    return { chatId: request.chatId, ...page, reads };
  }

  /** The user's chats, most recently active first, with unread counts. */
  async list(user: ChatUser): Promise<ChatSummary[]> {
    const chats = await this.store.chats(user.userId, LIST_LIMIT);
    const summaries = await Promise.all(
      chats.map(async chatId =>
        (await this.isMember(user.userId, chatId))
          ? this.summary(user.userId, chatId)
          : undefined,
      ),
    );
    return summaries.filter(summary => summary !== undefined);
  }

  /**
   * The demo's directory: who connected lately (the users one may write to),
   * with the presence of those who share it with the asker (see `presenceFor`).
   */
  async users(user: ChatUser): Promise<Presence[]> {
    const users = await this.store.users(LIST_LIMIT);
    return Promise.all(
      users.map(userId => this.presenceFor(user.userId, userId)),
    );
  }

  /** Records a connecting user in the directory. */
  async connected(userId: string): Promise<void> {
    await this.store.touchUser(userId, Date.now());
  }

  private async summary(userId: string, chatId: string): Promise<ChatSummary> {
    const parsed = parseChatId(chatId)!;
    const [{ messages }, reads] = await Promise.all([
      this.store.page(chatId, undefined, 1),
      this.store.reads(chatId),
    ]);
    const readSeq = reads.find(r => r.userId === userId)?.seq ?? 0;
    const unread = (await this.store.after(chatId, readSeq)).filter(
      message => message.senderId !== userId && !message.deleted,
    ).length;
    const summary: ChatSummary = {
      chatId,
      kind: parsed.kind,
      members: this.members(userId, parsed),
      unread,
    };
    const lastMessage = messages.at(-1);
    if (lastMessage) summary.lastMessage = lastMessage;
    if (parsed.kind === 'direct') {
      const peerId = parsed.users.find(id => id !== userId)!;
      summary.peer = await this.presenceFor(userId, peerId);
    }
    return summary;
  }

  /**
   * `userId`'s presence as `askerId` may see it: only once `userId` has sent
   * a message in their direct chat (replied, or started it). Presence is for
   * one's contacts, and anyone can open a chat with anyone or write to them.
   */
  private async presenceFor(
    askerId: string,
    userId: string,
  ): Promise<Presence> {
    if (askerId === userId || !IDENTITY_ID_PATTERN.test(userId))
      return { userId };
    const chatId = directChatId(askerId, userId);
    if (chatId.length > MAX_CHAT_ID_LENGTH) return { userId };
    const senders = await this.store.senders(chatId);
    return senders.includes(userId) ? this.presenceOf(userId) : { userId };
  }

  /** Refuses a user the demo has never seen (not in its directory, no session ever). */
  private async assertKnown(userId: string): Promise<void> {
    if (await this.store.knowsUser(userId)) return;
    // The directory keeps the last MAX_DIRECTORY_USERS; the gateway remembers everyone it saw.
    if (await this.gatewayService.isUserOnline(userId)) return;
    if (await this.gatewayService.getLastSeen(userId)) return;
    throw new GatewayAckError(
      'forbidden',
      `no user "${userId}" has signed in to the demo`,
    );
  }

  /**
   * The first message of a direct chat stores it for good, in both members'
   * lists: only to a user the demo has seen, and at most
   * `CHAT_NEW_CHATS_PER_DAY` new chats per sender and UTC day. Two first
   * messages at once may both count: the limit errs on the safe side.
   */
  private async assertMayStart(
    user: ChatUser,
    chatId: string,
    chat: Extract<ParsedChatId, { kind: 'direct' }>,
  ): Promise<void> {
    const { messages } = await this.store.page(chatId, undefined, 1);
    if (messages.length > 0) return;
    await this.assertKnown(chat.users.find(id => id !== user.userId)!);
    const started = await this.store.countNewChat(
      user.userId,
      utcDay(Date.now()),
    );
    if (started > this.newChatsPerDay)
      throw new GatewayAckError(
        'rate_limited',
        `at most ${this.newChatsPerDay} new chats a day (CHAT_NEW_CHATS_PER_DAY); write in the ones you have`,
      );
  }

  private async presenceOf(
    userId: string,
  ): Promise<{ userId: string; online: boolean; lastSeen?: string }> {
    const online = await this.gatewayService.isUserOnline(userId);
    const lastSeen = online
      ? undefined
      : await this.gatewayService.getLastSeen(userId);
    return { userId, online, ...(lastSeen ? { lastSeen } : {}) };
  }

  private async markRead(
    user: ChatUser,
    message: ChatMessage,
  ): Promise<ReadReceipt> {
    const receipt: ReadReceipt = {
      chatId: message.chatId,
      userId: user.userId,
      messageId: message.id,
      seq: message.seq,
      readAt: new Date().toISOString(),
    };
    const kept = await this.store.markRead(receipt);
    // Reading an older message again changes nothing: nobody is told.
    if (kept.readAt === receipt.readAt && kept.seq === receipt.seq)
      await this.bus.publishToRoom(
        chatRoom(message.chatId),
        'chat.message.read',
        {
          chatId: kept.chatId,
          userId: kept.userId,
          messageId: kept.messageId,
          readAt: kept.readAt,
        },
      );
    return kept;
  }

  /** Changes one message of a chat the user is in, atomically. */
  private async change(
    user: ChatUser,
    id: string,
    change: (message: ChatMessage) => ChatMessage,
  ): Promise<ChatMessage> {
    const target = parseMessageId(id);
    if (!target)
      throw new GatewayAckError('invalid', `"${id}" is not a message id`);
    await this.assertMember(user.userId, target.chatId);
    const message = await this.store.update(target.chatId, target.seq, change);
    if (!message) throw new GatewayAckError('invalid', `no message "${id}"`);
    return message;
  }

  private assertAuthor(
    user: ChatUser,
    message: ChatMessage,
    what: 'edit' | 'delete',
  ): void {
    if (message.senderId !== user.userId)
      throw new GatewayAckError(
        'forbidden',
        `only the author may ${what} a message`,
      );
  }

  private async assertMember(
    userId: string,
    chatId: string,
  ): Promise<ParsedChatId> {
    const parsed = parseChatId(chatId);
    if (!parsed)
      throw new GatewayAckError(
        'invalid',
        `"${chatId}" is not a chat id: dm:{userA}:{userB} (sorted) or photo:{photoId}`,
      );
    // Unknown and not-yours look the same, so chats cannot be probed.
    if (!(await this.memberOf(userId, parsed)))
      throw new GatewayAckError(
        'forbidden',
        `not a member of chat "${chatId}"`,
      );
    return parsed;
  }

  private async memberOf(userId: string, chat: ParsedChatId): Promise<boolean> {
    if (chat.kind === 'direct') return chat.users.includes(userId);
    return this.owners.isOwner(userId, chat.photoId);
  }

  /** The members of a chat the asker is in: a photo's thread is its owner's alone in the demo. */
  private members(askerId: string, chat: ParsedChatId): string[] {
    return chat.kind === 'direct' ? [...chat.users] : [askerId];
  }

  /**
   * A deleted photo's comment thread goes with it (its owner was its only
   * member). Every instance hears the event (twice: the photo's room and the
   * owner's); removing is idempotent.
   */
  @OnEvent('photo.deleted', { name: 'ChatService.photoDeleted' })
  async photoDeleted(event: EventOf<'photo.deleted'>): Promise<void> {
    const { photoId, userId } = event.data;
    await this.store.removeChat(photoChatId(photoId), [userId]);
  }

  /**
   * Moves the chat up in its members' lists. Each user's sockets are in the
   * rooms of their `MAX_JOINED_CHATS` most recently active chats: when this
   * chat comes into a member's first `MAX_JOINED_CHATS` (new, or back from
   * further down), their current sockets on every instance join its room
   * and leave the one it pushed out. Otherwise chats that anyone may start
   * with anyone (first messages from strangers) would fill the sockets' chat
   * rooms and keep the user's own chats out of them; and a user with more
   * chats would never hear an older chat's new message live. Waits until
   * that is done: the adapter answers `getRoomMembers` after the joins it
   * was sent before, so the first message cannot overtake them.
   */
  private async track(chatId: string, members: string[]): Promise<void> {
    const now = Date.now();
    const changes = await Promise.all(
      members.map(userId => this.store.addChat(userId, chatId, now)),
    );
    const entering = new Map<string, ChatListChange>();
    members.forEach((userId, i) => {
      if (changes[i]!.entered) entering.set(userId, changes[i]!);
    });
    if (entering.size === 0) return;
    const room = chatRoom(chatId);
    const sockets = await this.gateway.server
      .in([...entering.keys()].map(userRoom))
      .fetchSockets();
    for (const socket of sockets) {
      if (socket.rooms.has(room)) continue;
      const userId = (socket.data as { identity?: { userId: string } }).identity
        ?.userId;
      const displaced = userId && entering.get(userId)?.displaced;
      let chats = [...socket.rooms].filter(r => r.startsWith('chat:')).length;
      if (displaced && socket.rooms.has(chatRoom(displaced))) {
        socket.leave(chatRoom(displaced));
        chats--;
      }
      if (chats < MAX_JOINED_CHATS) socket.join(room);
    }
    await this.gatewayService.getRoomMembers(room);
  }
}
