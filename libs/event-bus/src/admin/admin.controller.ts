import {
  applyDecorators,
  Controller,
  Delete,
  Get,
  Header,
  HttpCode,
  Inject,
  Param,
  Post,
  Query,
  UseGuards,
  type CanActivate,
  type Type,
} from '@nestjs/common';
import type { ResolvedAdminConfig } from './admin.config.js';
import { AdminWriteGuard, CallbackGuard } from './admin-guards.js';
import { DASHBOARD_CSP, DASHBOARD_HTML } from './dashboard.page.js';
import { EventBusAdminService } from './event-bus-admin.service.js';

/** Headers of every answer: never cached (they show live, possibly sensitive data), never sniffed. */
const PRIVATE = [
  Header('Cache-Control', 'no-store'),
  Header('X-Content-Type-Options', 'nosniff'),
];

/** The app's guard as `UseGuards` takes it; none with `guard: 'none'`. */
function appGuard(
  config: ResolvedAdminConfig,
): Array<Type<CanActivate> | CanActivate> {
  const { guard } = config;
  switch (guard.kind) {
    case 'class':
    case 'instance':
      return [guard.guard];
    case 'function':
      return [new CallbackGuard(guard.guard)];
    case 'none':
      return [];
  }
}

/**
 * The dashboard's routes, at the configured path (a controller's path is fixed
 * when its class is declared, hence a class per `forRoot`). The page is
 * `GET <path>`; the JSON API is under `<path>/api`. The app's guard runs first
 * on every API route (and on the page with `guardPage`), then `AdminWriteGuard`.
 */
export function createAdminController(config: ResolvedAdminConfig): Type {
  const guards = [...appGuard(config), new AdminWriteGuard(config.readOnly)];
  const apiRoute = applyDecorators(UseGuards(...guards), ...PRIVATE);
  const pageRoute = applyDecorators(
    ...(config.guardPage ? [UseGuards(...guards)] : []),
    ...PRIVATE,
    Header('Content-Type', 'text/html; charset=utf-8'),
    Header('Content-Security-Policy', DASHBOARD_CSP),
    Header('X-Frame-Options', 'DENY'),
    Header('Referrer-Policy', 'no-referrer'),
  );

  @Controller(config.path)
  class EventBusAdminController {
    constructor(
      @Inject(EventBusAdminService)
      private readonly admin: EventBusAdminService,
    ) {}

    @Get()
    @pageRoute
    page(): string {
      return DASHBOARD_HTML;
    }

    @Get('api/overview')
    @apiRoute
    overview() {
      return this.admin.overview();
    }

    @Get('api/streams')
    @apiRoute
    streams() {
      return this.admin.streams();
    }

    @Get('api/instances')
    @apiRoute
    instances() {
      return this.admin.instances();
    }

    @Get('api/dead-letters')
    @apiRoute
    deadLetters(
      @Query('stream') stream?: string,
      @Query('limit') limit?: string,
      @Query('after') after?: string,
    ) {
      return this.admin.deadLetterPage({ stream, limit, after });
    }

    @Get('api/dead-letters/:stream/:id')
    @apiRoute
    deadLetter(@Param('stream') stream: string, @Param('id') id: string) {
      return this.admin.deadLetter(stream, id);
    }

    @Post('api/dead-letters/:stream/:id/replay')
    @HttpCode(200)
    @apiRoute
    replay(@Param('stream') stream: string, @Param('id') id: string) {
      return this.admin.replay(stream, id);
    }

    @Delete('api/dead-letters/:stream/:id')
    @apiRoute
    delete(@Param('stream') stream: string, @Param('id') id: string) {
      return this.admin.delete(stream, id);
    }
  }
  return EventBusAdminController;
}
