import { Module } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { BearerAuthGuard } from './bearer-auth.guard.js';
import { DemoTokenController } from './demo-token.controller.js';
import { jwtSecret } from './jwt-secret.js';

/**
 * The demo's sign-in: `POST /auth/token` signs a JWT for any user id (demo
 * only), and `BearerAuthGuard` verifies it on the HTTP routes that act for a
 * user (`@UseGuards(BearerAuthGuard)`, then `@CurrentUser()`). The socket
 * gateway verifies the same tokens with the same secret.
 */
@Module({
  controllers: [DemoTokenController],
  providers: [
    {
      provide: JwtService,
      useFactory: () => new JwtService({ secret: jwtSecret() }),
    },
    BearerAuthGuard,
  ],
  exports: [JwtService, BearerAuthGuard],
})
export class AuthModule {}
