import { Injectable } from '@nestjs/common';
import {
  EventBusService,
  OnEvent,
  type ClientConnectionEvent,
  type EventOf,
} from '@shared-infra/event-bus';
import { EventBusGateway } from '@shared-infra/event-bus/gateway';

/** What a user's devices hear when one of their devices comes or goes (`device.connected` / `device.disconnected`). */
export interface DevicePresenceEvent extends ClientConnectionEvent {
  state: 'connected' | 'disconnected';
}

/**
 * Tells a user's devices about each other: the gateway publishes
 * `client.connected` / `client.disconnected` on the bus (every instance hears
 * them); the instance that holds the socket forwards them to the user's room
 * as `device.connected` / `device.disconnected`. Sockets of an instance that
 * died are reported by whichever instance noticed it, under the dead
 * instance's id: nobody forwards those, and the page's periodic
 * `GET /devices` drops them.
 */
@Injectable()
export class DevicePresenceForwarder {
  constructor(
    private readonly eventBus: EventBusService,
    private readonly gateway: EventBusGateway,
  ) {}

  @OnEvent('client.connected', { name: 'DevicePresenceForwarder.connected' })
  connected(event: EventOf<'client.connected'>): Promise<void> {
    return this.forward('connected', event.data);
  }

  @OnEvent('client.disconnected', {
    name: 'DevicePresenceForwarder.disconnected',
  })
  disconnected(event: EventOf<'client.disconnected'>): Promise<void> {
    return this.forward('disconnected', event.data);
  }

  private async forward(
    state: DevicePresenceEvent['state'],
    data: ClientConnectionEvent,
  ): Promise<void> {
    if (data.instanceId !== this.gateway.instanceId) return;
    const event: DevicePresenceEvent = { ...data, state };
    await this.eventBus.publishToUser(data.userId, `device.${state}`, event);
  }
}
