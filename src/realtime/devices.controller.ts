import { Controller, Get, UseGuards } from '@nestjs/common';
import { EventBusGatewayService } from '@shared-infra/event-bus/gateway';
import { BearerAuthGuard, type DemoUser } from '../auth/bearer-auth.guard.js';
import { CurrentUser } from '../auth/current-user.decorator.js';

/** One device (socket.io client id) of a user, with its open connections. */
export interface Device {
  clientId: string;
  sockets: number;
}

@Controller('devices')
@UseGuards(BearerAuthGuard)
export class DevicesController {
  constructor(private readonly gateway: EventBusGatewayService) {}

  /**
   * The signed-in user's devices connected to the gateway now, on every
   * instance (socket.io's adapter asks the others through Redis).
   */
  @Get()
  async list(
    @CurrentUser() { userId }: DemoUser,
  ): Promise<{ userId: string; devices: Device[] }> {
    const members = await this.gateway.getRoomMembers(`user:${userId}`);
    const devices = new Map<string, Device>();
    for (const member of members) {
      const device = devices.get(member.clientId) ?? {
        clientId: member.clientId,
        sockets: 0,
      };
      device.sockets++;
      devices.set(member.clientId, device);
    }
    return {
      userId,
      devices: [...devices.values()].sort((a, b) =>
        a.clientId.localeCompare(b.clientId),
      ),
    };
  }
}
