import { Injectable, Logger } from '@nestjs/common';
import { OnEvent, type EventOf } from '@shared-infra/event-bus';
import { EventBusGateway, userRoom } from '@shared-infra/event-bus/gateway';
import { chatRoom } from './chat-ids.js';
import { CHAT_DIRECT_EVENTS } from './chat.events.js';
import type { UserStatus } from './chat.interfaces.js';
import { ChatService } from './chat.service.js';

/** At most one warning this often about status changes that could not be forwarded. */
const WARNING_INTERVAL_MS = 10_000;

/**
 * Seed 002's `user:status`, sent to the sockets of the users who share a direct
 * chat with the user who came or went, in which that user has sent a message
 * (not to everyone, nor to whoever opened a chat with them or wrote to them:
 * who is online is their contacts' business only). The gateway's presence publishes `user.online` when a
 * user's first session connects on any instance and `user.offline` when the
 * last one leaves, so several tabs make one status change. Every instance
 * hears the bus event and emits to its own sockets only (`local`): each socket
 * gets it once, and a socket in several shared chats once too.
 */
@Injectable()
export class ChatPresenceForwarder {
  private readonly logger = new Logger('ChatPresenceForwarder');
  private lastWarning = 0;

  constructor(
    private readonly chats: ChatService,
    private readonly gateway: EventBusGateway,
  ) {}

  @OnEvent('user.online', { name: 'ChatPresenceForwarder.online' })
  online(event: EventOf<'user.online'>): Promise<void> {
    return this.forward({ userId: event.data.userId, status: 'online' });
  }

  @OnEvent('user.offline', { name: 'ChatPresenceForwarder.offline' })
  offline(event: EventOf<'user.offline'>): Promise<void> {
    return this.forward({
      userId: event.data.userId,
      status: 'offline',
      lastSeen: event.data.lastSeen,
    });
  }

  private async forward(status: UserStatus): Promise<void> {
    const server = this.gateway.server;
    if (!server) return;
    let chatIds: string[];
    try {
      chatIds = await this.chats.chatsSharingPresence(status.userId);
    } catch (error) {
      // Best effort, like presence itself: a status change is not worth a handler failure
      // (its retries would only repeat it late), e.g. while the app shuts down.
      this.warnLimited(
        `Could not tell ${status.userId}'s chats that they are ${status.status}: ${(error as Error).message}.`,
      );
      return;
    }
    if (chatIds.length === 0) return;
    server.local
      .to(chatIds.map(chatRoom))
      .except(userRoom(status.userId))
      .emit(CHAT_DIRECT_EVENTS.userStatus, status);
  }

  private warnLimited(message: string): void {
    if (Date.now() - this.lastWarning < WARNING_INTERVAL_MS) return;
    this.lastWarning = Date.now();
    this.logger.warn(message);
  }
}
