import { Module } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { BearerAuth } from './bearer-auth.service.js';
import { DemoTokenController } from './demo-token.controller.js';
import { jwtSecret } from './jwt-secret.js';

/**
 * The demo's sign-in: `POST /auth/token` signs a JWT for any user id (demo
 * only), and `BearerAuth` reads it back on HTTP routes. The socket gateway
 * verifies the same tokens with the same secret.
 */
@Module({
  controllers: [DemoTokenController],
  providers: [{ provide: JwtService, useFactory: () => new JwtService({ secret: jwtSecret() }) }, BearerAuth],
  exports: [JwtService, BearerAuth],
})
export class AuthModule {}
