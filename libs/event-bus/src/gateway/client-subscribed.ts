import type { Socket } from 'socket.io';
import type { EventBusLogger } from '../event-bus.logger.js';
import type { EventBusService } from '../event-bus.service.js';
import type { ClientSubscribedEvent } from '../events/presence.events.js';
import type { SocketIdentity } from './interfaces.js';

/**
 * Publishes `client.subscribed` for a socket that just joined `room` (seed
 * 003's event, with the room instead of its `photoId`: rooms are general).
 * Best effort, as presence: the socket is in the room whatever the bus says,
 * so a failed publish is logged (rate-limited), not turned into a refusal.
 */
export function publishSubscribed(
  bus: EventBusService,
  socket: Socket,
  room: string,
  instanceId: string,
  logger: EventBusLogger,
): void {
  const identity = (socket.data as { identity: SocketIdentity }).identity;
  const event: ClientSubscribedEvent = {
    userId: identity.userId,
    clientId: identity.clientId,
    socketId: socket.id,
    room,
    instanceId,
    timestamp: new Date().toISOString(),
  };
  bus
    .publish('client.subscribed', event)
    .catch((error: unknown) =>
      logger.limited(
        'client.subscribed failed',
        'warn',
        `Could not publish client.subscribed for room "${room}": ${(error as Error).message}.`,
      ),
    );
}
