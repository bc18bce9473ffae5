import {
  Controller,
  DefaultValuePipe,
  Get,
  ParseIntPipe,
  Query,
  UseGuards,
} from '@nestjs/common';
import { EventBusService } from '@shared-infra/event-bus';
import { BearerAuthGuard, type DemoUser } from '../auth/bearer-auth.guard.js';
import { CurrentUser } from '../auth/current-user.decorator.js';
import { ActivityService } from './activity.service.js';

@Controller()
export class ActivityController {
  constructor(
    private readonly activity: ActivityService,
    private readonly eventBus: EventBusService,
  ) {}

  /**
   * The latest pipeline events that concern the signed-in user, newest first:
   * the events carry photo names and ids, which are nobody else's business.
   */
  @Get('events')
  @UseGuards(BearerAuthGuard)
  events(
    @CurrentUser() { userId }: DemoUser,
    @Query('limit', new DefaultValuePipe(50), ParseIntPipe) limit: number,
  ) {
    return this.activity.list(userId, Math.min(Math.max(limit, 1), 200));
  }

  /** The bus' counters (no user's data: public, like /metrics). */
  @Get('stats')
  stats() {
    return this.eventBus.getStats();
  }
}
