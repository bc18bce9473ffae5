import { UseFilters, UsePipes, ValidationPipe } from '@nestjs/common';
import {
  ConnectedSocket,
  MessageBody,
  SubscribeMessage,
  WebSocketGateway,
} from '@nestjs/websockets';
import {
  GatewayAckError,
  GatewayAckFilter,
  type GatewayAck,
  type SocketIdentity,
} from '@shared-infra/event-bus/gateway';
import { IsUUID } from 'class-validator';
import type { Socket } from 'socket.io';
import {
  PhotoStatusTracker,
  type PhotoStatus,
} from './photo-status.service.js';

export class PhotoStatusRequest {
  @IsUUID()
  photoId!: string;
}

/**
 * The request pattern: a browser asks for a photo's current status (after a
 * reload, say) and only that socket gets the answer, in the ack. It shares the
 * bus gateway's server, so its handshake auth and rate limit apply here too.
 */
@WebSocketGateway()
@UseFilters(GatewayAckFilter)
@UsePipes(new ValidationPipe({ whitelist: true, forbidUnknownValues: true }))
export class PhotoStatusGateway {
  constructor(private readonly statuses: PhotoStatusTracker) {}

  @SubscribeMessage('photo:status:request')
  status(
    @ConnectedSocket() socket: Socket,
    @MessageBody() request: PhotoStatusRequest,
  ): GatewayAck & { status?: PhotoStatus } {
    const { identity } = socket.data as { identity: SocketIdentity };
    const status = this.statuses.get(request.photoId);
    // Unknown and not-yours look the same, so ids cannot be probed.
    if (!status || status.userId !== identity.userId)
      throw new GatewayAckError('forbidden', 'no such photo of yours');
    return { ok: true, status };
  }
}
