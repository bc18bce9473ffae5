import { Logger } from '@nestjs/common';

const DEV_SECRET = 'demo-secret-change-me-demo-secret-change-me';

let warned = false;

/** The secret that signs the demo's tokens and verifies them (sockets and HTTP alike). */
export function jwtSecret(): string {
  const secret = process.env.JWT_SECRET;
  if (secret) return secret;
  if (!warned)
    new Logger('Auth').warn(
      'JWT_SECRET is not set: using the demo secret. Set JWT_SECRET anywhere but on a laptop.',
    );
  warned = true;
  return DEV_SECRET;
}
