/**
 * Server child, the baseline: what a competent engineer writes with plain
 * socket.io: a Server on node:http with `@socket.io/redis-adapter` (two
 * ioredis clients), a handshake middleware that verifies the same HS256 JWT
 * with @nestjs/jwt's JwtService (against a `KeyObject` made once, as our
 * gateway does: with a string secret jsonwebtoken first tries it as a public
 * key, ~0.5 ms more per handshake), puts the socket in a room of its user
 * (`user:<sub>`, the usual way to reach one user's devices), and a
 * `subscribe` handler that checks the room, joins it and acks `{ ok: true }`.
 * Events reach its sockets through the adapter: a publisher process does
 * `io.to(room).emit(...)`. env: REDIS_URL.
 */
import { JwtService } from '@nestjs/jwt';
import { createAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';
import { createSecretKey } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { canJoin, JWT_SECRET } from './common.js';
import { runServer } from './server-common.js';

runServer(async () => {
  const pub = new Redis(process.env.REDIS_URL!);
  const sub = pub.duplicate();
  await Promise.all([pub.ping(), sub.ping()]);
  const http = createServer();
  const io = new Server(http, { adapter: createAdapter(pub, sub) });
  const jwt = new JwtService({});
  const key = createSecretKey(Buffer.from(JWT_SECRET));
  io.use((socket, next) => {
    const token = (socket.handshake.auth as { token?: unknown }).token;
    if (typeof token !== 'string') return next(new Error('unauthorized'));
    jwt
      .verifyAsync<{ sub?: string }>(token, {
        // The typings say string | Buffer; jsonwebtoken takes a KeyObject as it is.
        secret: key as unknown as string,
        algorithms: ['HS256'],
      })
      .then(
        claims => {
          socket.data.userId = claims.sub;
          next();
        },
        () => next(new Error('unauthorized')),
      );
  });
  io.on('connection', socket => {
    void socket.join(`user:${String(socket.data.userId)}`);
    socket.on(
      'subscribe',
      (request: { room?: unknown }, ack?: (reply: unknown) => void) => {
        if (!canJoin(request?.room))
          return ack?.({ ok: false, code: 'forbidden' });
        void socket.join(request.room as string);
        ack?.({ ok: true });
      },
    );
  });
  await new Promise<void>(resolve => http.listen(0, '127.0.0.1', resolve));
  return {
    port: (http.address() as AddressInfo).port,
    sockets: () => io.of('/').sockets.size,
    close: async () => {
      await io.close();
      pub.disconnect();
      sub.disconnect();
    },
  };
});
