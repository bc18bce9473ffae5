import { Controller, DefaultValuePipe, Get, ParseIntPipe, Query } from '@nestjs/common';
import { EventBusService } from '@shared-infra/event-bus';
import { ActivityService } from './activity.service.js';

@Controller()
export class ActivityController {
  constructor(
    private readonly activity: ActivityService,
    private readonly eventBus: EventBusService,
  ) {}

  /** The latest pipeline events, newest first. */
  @Get('events')
  events(@Query('limit', new DefaultValuePipe(50), ParseIntPipe) limit: number) {
    return this.activity.list(Math.min(Math.max(limit, 1), 200));
  }

  /** The bus' counters. */
  @Get('stats')
  stats() {
    return this.eventBus.getStats();
  }
}
