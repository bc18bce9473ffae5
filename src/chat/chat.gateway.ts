import { Logger, UseFilters, UsePipes, ValidationPipe } from '@nestjs/common';
import {
  ConnectedSocket,
  MessageBody,
  SubscribeMessage,
  WebSocketGateway,
  WebSocketServer,
  type OnGatewayConnection,
  type OnGatewayDisconnect,
  type OnGatewayInit,
} from '@nestjs/websockets';
import {
  GatewayAckError,
  type SocketIdentity,
} from '@shared-infra/event-bus/gateway';
import type { Server, Socket } from 'socket.io';
import { ChatAckFilter } from './chat-ack.filter.js';
import { chatRoom } from './chat-ids.js';
import { CHAT_MESSAGES } from './chat.events.js';
import type {
  ChatHistoryPage,
  ChatMessage,
  ChatSummary,
  ReactionChange,
  ReadReceipt,
} from './chat.interfaces.js';
import { ChatService, type Presence } from './chat.service.js';
import {
  ChatRequest,
  EditMessageRequest,
  HistoryRequest,
  MessageRequest,
  OpenChatRequest,
  ReactRequest,
  ReadRequest,
  SendMessageRequest,
} from './dto/chat-requests.dto.js';
import { TypingTracker } from './typing.tracker.js';

/** At most one warning this often about sockets whose chats could not be joined (Redis down). */
const JOIN_WARNING_INTERVAL_MS = 10_000;

type Ok<T> = { ok: true } & T;

/**
 * Seed 002's chat protocol on the bus gateway's socket.io server (an app
 * gateway on the same port shares its handshake auth and rate limit). Every
 * request is validated (`ValidationPipe`), answered in its ack, and refused
 * with `{ ok: false, code, error }` (`GatewayAckFilter`); membership is
 * checked by `ChatService` on every one.
 */
@WebSocketGateway()
@UseFilters(ChatAckFilter)
@UsePipes(
  new ValidationPipe({
    whitelist: true,
    forbidUnknownValues: true,
    transform: true,
  }),
)
export class ChatGateway
  implements OnGatewayInit, OnGatewayConnection, OnGatewayDisconnect
{
  @WebSocketServer()
  server!: Server;

  private readonly logger = new Logger('ChatGateway');
  private lastJoinWarning = 0;
  private readonly typing = new TypingTracker();

  constructor(private readonly chats: ChatService) {}

  afterInit(server: Server): void {
    this.typing.attach(server);
  }

  /** Every socket of a user joins the rooms of the user's chats (seed 002: "automatic room joining"). */
  async handleConnection(socket: Socket): Promise<void> {
    const identity = this.identity(socket);
    if (!identity) return;
    try {
      const [chatIds] = await Promise.all([
        this.chats.chatsToJoin(identity.userId),
        this.chats.connected(identity.userId),
      ]);
      if (socket.connected && chatIds.length > 0)
        await socket.join(chatIds.map(chatRoom));
    } catch (error) {
      if (Date.now() - this.lastJoinWarning < JOIN_WARNING_INTERVAL_MS) return;
      this.lastJoinWarning = Date.now();
      this.logger.warn(
        `Could not join ${identity.userId}'s chats: ${(error as Error).message}. chat:list and chat:history still answer once the store is back.`,
      );
    }
  }

  handleDisconnect(socket: Socket): void {
    const identity = this.identity(socket);
    if (identity) this.typing.disconnected(socket, identity.userId);
  }

  @SubscribeMessage(CHAT_MESSAGES.send)
  async send(
    @ConnectedSocket() socket: Socket,
    @MessageBody() request: SendMessageRequest,
  ): Promise<Ok<{ message: ChatMessage }>> {
    const user = this.user(socket);
    const message = await this.chats.send(user, request);
    this.typing.stop(socket, user.userId, request.chatId);
    return { ok: true, message };
  }

  @SubscribeMessage(CHAT_MESSAGES.edit)
  async edit(
    @ConnectedSocket() socket: Socket,
    @MessageBody() request: EditMessageRequest,
  ): Promise<Ok<{ message: ChatMessage }>> {
    return {
      ok: true,
      message: await this.chats.edit(this.user(socket), request),
    };
  }

  @SubscribeMessage(CHAT_MESSAGES.delete)
  async delete(
    @ConnectedSocket() socket: Socket,
    @MessageBody() request: MessageRequest,
  ): Promise<Ok<{ message: ChatMessage }>> {
    return {
      ok: true,
      message: await this.chats.delete(this.user(socket), request),
    };
  }

  @SubscribeMessage(CHAT_MESSAGES.react)
  async react(
    @ConnectedSocket() socket: Socket,
    @MessageBody() request: ReactRequest,
  ): Promise<Ok<{ reaction: ReactionChange }>> {
    return {
      ok: true,
      reaction: await this.chats.react(this.user(socket), request),
    };
  }

  @SubscribeMessage(CHAT_MESSAGES.read)
  async read(
    @ConnectedSocket() socket: Socket,
    @MessageBody() request: ReadRequest,
  ): Promise<Ok<{ receipt: ReadReceipt }>> {
    return {
      ok: true,
      receipt: await this.chats.read(this.user(socket), request),
    };
  }

  @SubscribeMessage(CHAT_MESSAGES.readAll)
  async readAll(
    @ConnectedSocket() socket: Socket,
    @MessageBody() request: ChatRequest,
  ): Promise<Ok<{ receipt?: ReadReceipt }>> {
    const receipt = await this.chats.readAll(this.user(socket), request);
    return { ok: true, ...(receipt ? { receipt } : {}) };
  }

  @SubscribeMessage(CHAT_MESSAGES.history)
  async history(
    @ConnectedSocket() socket: Socket,
    @MessageBody() request: HistoryRequest,
  ): Promise<Ok<ChatHistoryPage>> {
    return {
      ok: true,
      ...(await this.chats.history(this.user(socket), request)),
    };
  }

  @SubscribeMessage(CHAT_MESSAGES.list)
  async list(
    @ConnectedSocket() socket: Socket,
  ): Promise<Ok<{ chats: ChatSummary[] }>> {
    return { ok: true, chats: await this.chats.list(this.user(socket)) };
  }

  /** The direct chat with a user (created by its first message), summarised. */
  @SubscribeMessage(CHAT_MESSAGES.open)
  async open(
    @ConnectedSocket() socket: Socket,
    @MessageBody() request: OpenChatRequest,
  ): Promise<Ok<{ chat: ChatSummary }>> {
    const chat = await this.chats.open(this.user(socket), request.userId);
    return { ok: true, chat };
  }

  /** The demo's directory (who connected lately; the presence of one's contacts): the page's people list. */
  @SubscribeMessage(CHAT_MESSAGES.users)
  async users(
    @ConnectedSocket() socket: Socket,
  ): Promise<Ok<{ users: Presence[] }>> {
    return { ok: true, users: await this.chats.users(this.user(socket)) };
  }

  @SubscribeMessage(CHAT_MESSAGES.typingStart)
  async typingStart(
    @ConnectedSocket() socket: Socket,
    @MessageBody() request: ChatRequest,
  ): Promise<{ ok: true }> {
    const user = this.user(socket);
    await this.assertMember(user.userId, request.chatId);
    this.typing.start(socket, user.userId, request.chatId);
    return { ok: true };
  }

  @SubscribeMessage(CHAT_MESSAGES.typingStop)
  typingStop(
    @ConnectedSocket() socket: Socket,
    @MessageBody() request: ChatRequest,
  ): { ok: true } {
    this.typing.stop(socket, this.user(socket).userId, request.chatId);
    return { ok: true };
  }

  /** Typing goes to the others in the chat's room: only a member may say they type there. */
  private async assertMember(userId: string, chatId: string): Promise<void> {
    if (!(await this.chats.isMember(userId, chatId)))
      throw new GatewayAckError(
        'forbidden',
        `not a member of chat "${chatId}"`,
      );
  }

  private identity(socket: Socket): SocketIdentity | undefined {
    return (socket.data as { identity?: SocketIdentity }).identity;
  }

  private user(socket: Socket): { userId: string } {
    const identity = this.identity(socket);
    // The handshake middleware refuses sockets without one; never serve an anonymous socket.
    if (!identity) throw new GatewayAckError('forbidden', 'not signed in');
    return { userId: identity.userId };
  }
}
