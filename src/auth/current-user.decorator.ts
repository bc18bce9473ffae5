import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { AuthenticatedRequest, DemoUser } from './bearer-auth.guard.js';

/**
 * The signed-in user of the request, as `BearerAuthGuard` verified it. The
 * route must be guarded: without the guard there is no user, and rather than
 * hand the handler `undefined` this fails loudly (a 500 naming the fix).
 *
 * @example
 * @Get()
 * @UseGuards(BearerAuthGuard)
 * list(@CurrentUser() user: DemoUser) { … }
 */
export const CurrentUser = createParamDecorator(
  (_data: unknown, context: ExecutionContext): DemoUser => {
    const { user } = context.switchToHttp().getRequest<AuthenticatedRequest>();
    if (!user) {
      throw new Error(
        '@CurrentUser() on a route without @UseGuards(BearerAuthGuard): add the guard to the route or its controller.',
      );
    }
    return user;
  },
);
