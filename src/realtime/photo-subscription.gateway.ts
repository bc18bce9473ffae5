import { UseFilters, UsePipes, ValidationPipe } from '@nestjs/common';
import {
  ConnectedSocket,
  MessageBody,
  SubscribeMessage,
  WebSocketGateway,
} from '@nestjs/websockets';
import {
  EventBusGateway,
  GatewayAckError,
  GatewayAckFilter,
  type GatewayAck,
} from '@shared-infra/event-bus/gateway';
import { IsUUID } from 'class-validator';
import type { Socket } from 'socket.io';

export class PhotoSubscriptionRequest {
  @IsUUID()
  photoId!: string;
}

/** What `subscription:confirmed` says (seed 003's `{ photoId, message }`, plus which way). */
export interface SubscriptionConfirmed {
  photoId: string;
  message: string;
  /** true after `subscribe:photo`, false after `unsubscribe:photo`. */
  subscribed: boolean;
}

/** What `subscription:error` says when a `subscribe:photo` / `unsubscribe:photo` is refused. */
export interface SubscriptionError {
  photoId: string;
  code: NonNullable<GatewayAck['code']>;
  message: string;
}

const room = (photoId: string) => `photo:${photoId}`;

/**
 * Seed 003's photo messages: `subscribe:photo` / `unsubscribe:photo`
 * `{ photoId }`, answered with a `subscription:confirmed` event (and an ack,
 * as every gateway message). They are the bus gateway's `subscribe` /
 * `unsubscribe` of the room `photo:<photoId>`, so the same rules hold: only
 * the photo's owner may join (the room authorizer of RealtimeModule),
 * `maxRoomsPerSocket`, the socket's rate limit, `client.subscribed` on the
 * bus. A refusal comes as a `subscription:error` event and the refusal's ack;
 * an unknown photo and someone else's look the same (`forbidden`).
 */
@WebSocketGateway()
@UseFilters(GatewayAckFilter)
@UsePipes(new ValidationPipe({ whitelist: true, forbidUnknownValues: true }))
export class PhotoSubscriptionGateway {
  constructor(private readonly gateway: EventBusGateway) {}

  @SubscribeMessage('subscribe:photo')
  subscribe(
    @ConnectedSocket() socket: Socket,
    @MessageBody() { photoId }: PhotoSubscriptionRequest,
  ): Promise<GatewayAck> {
    return this.answer(socket, photoId, true, () =>
      this.gateway.subscribeSocket(socket, room(photoId)),
    );
  }

  @SubscribeMessage('unsubscribe:photo')
  unsubscribe(
    @ConnectedSocket() socket: Socket,
    @MessageBody() { photoId }: PhotoSubscriptionRequest,
  ): Promise<GatewayAck> {
    return this.answer(socket, photoId, false, () =>
      this.gateway.unsubscribeSocket(socket, room(photoId)),
    );
  }

  private async answer(
    socket: Socket,
    photoId: string,
    subscribed: boolean,
    change: () => Promise<GatewayAck>,
  ): Promise<GatewayAck> {
    let ack: GatewayAck;
    try {
      ack = await change();
    } catch (error) {
      if (error instanceof GatewayAckError) {
        const refusal: SubscriptionError = {
          photoId,
          code: error.code,
          message:
            error.code === 'forbidden'
              ? `not allowed to watch photo ${photoId} (no such photo of yours)`
              : error.message,
        };
        socket.emit('subscription:error', refusal);
      }
      throw error;
    }
    const confirmed: SubscriptionConfirmed = {
      photoId,
      message: subscribed
        ? `Subscribed to photo ${photoId}`
        : `Unsubscribed from photo ${photoId}`,
      subscribed,
    };
    socket.emit('subscription:confirmed', confirmed);
    return ack;
  }
}
