import { Controller, Get, Headers } from '@nestjs/common';
import { EventBusGatewayService } from '@shared-infra/event-bus/gateway';
import { BearerAuth } from '../auth/bearer-auth.service.js';

/** One device (socket.io client id) of a user, with its open connections. */
export interface Device {
  clientId: string;
  sockets: number;
}

@Controller('devices')
export class DevicesController {
  constructor(
    private readonly auth: BearerAuth,
    private readonly gateway: EventBusGatewayService,
  ) {}

  /**
   * The signed-in user's devices connected to the gateway now, on every
   * instance (socket.io's adapter asks the others through Redis).
   */
  @Get()
  async list(@Headers() headers: Record<string, string | string[] | undefined>): Promise<{ userId: string; devices: Device[] }> {
    const { userId } = this.auth.userFrom(headers);
    const members = await this.gateway.getRoomMembers(`user:${userId}`);
    const devices = new Map<string, Device>();
    for (const member of members) {
      const device = devices.get(member.clientId) ?? { clientId: member.clientId, sockets: 0 };
      device.sockets++;
      devices.set(member.clientId, device);
    }
    return { userId, devices: [...devices.values()].sort((a, b) => a.clientId.localeCompare(b.clientId)) };
  }
}
