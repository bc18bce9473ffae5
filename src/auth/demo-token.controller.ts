import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { IDENTITY_ID_PATTERN } from '@shared-infra/event-bus';
import { IsBoolean, IsOptional, IsString, Matches } from 'class-validator';
import { ADMIN_PERMISSION } from './admin.guard.js';

export class DemoTokenRequest {
  @IsString()
  @Matches(IDENTITY_ID_PATTERN, {
    message: 'userId must be 1-100 characters of letters, digits and "_ - . @"',
  })
  userId!: string;

  /** DEMO ONLY: `true` adds the `admin` permission (the event bus dashboard at /admin/event-bus). */
  @IsOptional()
  @IsBoolean()
  admin?: boolean;
}

/**
 * DEMO ONLY: hands out a socket token for any user id, so that the demo page
 * can connect without an identity provider. A real app gets its tokens from
 * its login.
 */
@Controller('auth')
export class DemoTokenController {
  constructor(private readonly jwt: JwtService) {}

  @Post('token')
  @HttpCode(200)
  issue(@Body() body: DemoTokenRequest): { token: string; expiresIn: number } {
    const expiresIn = 3600;
    return {
      token: this.jwt.sign(
        body.admin === true
          ? { sub: body.userId, permissions: [ADMIN_PERMISSION] }
          : { sub: body.userId },
        { expiresIn },
      ),
      expiresIn,
    };
  }
}
