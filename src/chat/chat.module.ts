import { Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { PhotosModule } from '../photos/photos.module.js';
import { RealtimeModule } from '../realtime/realtime.module.js';
import { ChatGateway } from './chat.gateway.js';
import { ChatPresenceForwarder } from './chat-presence.forwarder.js';
import { ChatService } from './chat.service.js';
import { CHAT_STORE, type ChatStore } from './chat.store.js';
import { MemoryChatStore } from './memory-chat.store.js';
import { RedisChatStore } from './redis-chat.store.js';

/**
 * The demo's chat (seed 002, T039): direct messages and photo comment threads
 * over the bus gateway's sockets. Stored in Redis when REDIS_URL is set (so
 * messages survive a restart and every instance sees them), in memory
 * otherwise.
 */
@Module({
  imports: [PhotosModule, RealtimeModule],
  providers: [
    {
      provide: CHAT_STORE,
      useFactory: async (): Promise<ChatStore> => {
        const url = process.env.REDIS_URL;
        if (!url) return new MemoryChatStore();
        const store = new RedisChatStore(url);
        await store.connect();
        return store;
      },
    },
    ChatService,
    ChatGateway,
    ChatPresenceForwarder,
  ],
})
export class ChatModule implements OnApplicationShutdown {
  constructor(@Inject(CHAT_STORE) private readonly store: ChatStore) {}

  async onApplicationShutdown(): Promise<void> {
    if (this.store instanceof RedisChatStore) await this.store.close();
  }
}
