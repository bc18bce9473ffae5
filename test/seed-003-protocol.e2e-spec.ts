import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplicationContext } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { EventBusService } from '@shared-infra/event-bus';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { io, type Socket } from 'socket.io-client';
import { jwtSecret } from '../src/auth/jwt-secret.js';
import { freePort } from './setup/free-port.js';
import { RedisServer } from './setup/redis-server.js';
import { startBusApp } from './utils/bus-app.js';
import { Collector, waitUntil } from './utils/collector.js';
import { landscapeJpeg, truncatedJpeg } from './utils/demo-images.js';
import { DemoProcess } from './utils/demo-process.js';

/*
 * A client written from seed 003's protocol alone (its section 5,
 * ClientWebSocketService), against the demo on Redis: plain socket.io-client,
 * `auth: { userId, clientId, token }`, `subscribe:photo` / `unsubscribe:photo`,
 * `ping`, and the event names of its EventBridge. Where it differs from the
 * seed it is on purpose, and said so here:
 * - the token is a real JWT (hand-signed with the demo's secret, as an
 *   identity provider would); its subject is the user, `auth.userId` is not
 *   trusted (a client could name anyone);
 * - bus events reach the socket as `{ id, type, data, timestamp, room }`
 *   rather than the data spread with a timestamp: the id is what a
 *   reconnecting client gives back to recover what it missed, and data keys
 *   cannot clash with the envelope's.
 */

const jwt = new JwtService({ secret: jwtSecret() });
const tokenOf = (userId: string) =>
  jwt.sign({ sub: userId }, { expiresIn: '1h' });

interface Received {
  name: string;
  payload: {
    type?: string;
    room?: string;
    timestamp?: string;
    data?: Record<string, unknown>;
    [key: string]: unknown;
  };
}

interface SeedClient {
  socket: Socket;
  events: Collector<Received>;
  established: Record<string, unknown>;
  /** What arrived under `name` (oldest first). */
  named(name: string): Received['payload'][];
  close(): void;
}

/** seed 003's `ClientWebSocketService.connect(userId, clientId)`, with a JWT as its token. */
async function connect(
  url: string,
  userId: string,
  clientId: string,
): Promise<SeedClient> {
  const socket = io(url, {
    auth: { userId, clientId, token: tokenOf(userId) },
    transports: ['websocket', 'polling'],
    timeout: 10000,
    reconnection: false,
    forceNew: true,
  });
  const events = new Collector<Received>();
  socket.onAny((name: string, payload: Received['payload']) =>
    events.push({ name, payload }),
  );
  const established = await new Promise<Record<string, unknown>>(
    (resolve, reject) => {
      socket.once('connect_error', reject);
      socket.once('connection:established', resolve);
    },
  );
  return {
    socket,
    events,
    established,
    named: name =>
      events.items.filter(e => e.name === name).map(e => e.payload),
    close: () => socket.close(),
  };
}

describe("seed 003's socket protocol against the demo (Redis)", () => {
  let redis: RedisServer;
  let demo: DemoProcess;
  let ops: INestApplicationContext;
  let dataDir: string;
  let alice: SeedClient;
  let bob: SeedClient;
  let photoId: string;
  const bearer = (userId: string) => ({
    authorization: `Bearer ${tokenOf(userId)}`,
  });

  beforeAll(async () => {
    redis = await RedisServer.start();
    dataDir = mkdtempSync(join(tmpdir(), 'seed-003-'));
    demo = await DemoProcess.start(await freePort(), {
      REDIS_URL: redis.url,
      DATA_DIR: dataDir,
      // Long enough stages that a subscribe:photo sent on the 202 is in before the photo completes.
      PHOTO_STAGE_MIN_MS: '400',
      SOCKET_PING_INTERVAL: '20000',
      SOCKET_PING_TIMEOUT: '30000',
      SOCKET_MAX_BUFFER_SIZE: '1048576',
      ALLOWED_ORIGINS: 'http://localhost:3000',
    });
    // Another service on the same bus, as seed 003's system events come from.
    ops = await startBusApp(redis.url, { serviceName: 'ops' });
    alice = await connect(demo.url(''), 'alice', 'web-1');
    bob = await connect(demo.url(''), 'bob', 'web-2');
  }, 30_000);

  afterAll(async () => {
    alice?.close();
    bob?.close();
    await ops?.close();
    await demo?.stop();
    await redis?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('confirms the connection with socketId, clientId, userId and timestamp, and pongs a ping', async () => {
    expect(alice.established).toMatchObject({
      socketId: alice.socket.id,
      clientId: 'web-1',
      userId: 'alice',
      timestamp: expect.any(String),
    });
    // Ours too: the rooms it was put in (seed 003's joinDefaultRooms, client room scoped by user).
    expect(alice.established.rooms).toEqual([
      'user:alice',
      'client:alice:web-1',
      'global',
    ]);
    alice.socket.emit('ping');
    await waitUntil(() => alice.named('pong').length === 1, 5000, 'pong');
    expect(alice.named('pong')[0]).toEqual({ timestamp: expect.any(String) });
  });

  it('gets system.health from a plain publish on the bus, as every socket does', async () => {
    await ops
      .get(EventBusService)
      .publish('system.health', { status: 'healthy', services: 3 });
    await waitUntil(
      () =>
        alice.named('system.health').length === 1 &&
        bob.named('system.health').length === 1,
      5000,
      'system.health on both sockets',
    );
    expect(alice.named('system.health')[0]).toMatchObject({
      room: 'global',
      data: { status: 'healthy', services: 3 },
    });
  });

  it('uploads, gets photo.uploaded, subscribes to the photo and follows its processing in the photo room', async () => {
    const form = new FormData();
    form.append(
      'photo',
      new Blob([new Uint8Array(await landscapeJpeg(800, 600))], {
        type: 'image/jpeg',
      }),
      'fjord.jpg',
    );
    const response = await fetch(demo.url('/photos'), {
      method: 'POST',
      body: form,
      headers: bearer('alice'),
    });
    expect(response.status).toBe(202);
    photoId = ((await response.json()) as { photoId: string }).photoId;
    // As seed 003's subscribeToPhoto sends it: no ack callback, the answer is the event.
    alice.socket.emit('subscribe:photo', { photoId });
    await waitUntil(
      () => alice.named('subscription:confirmed').length === 1,
      5000,
      'subscription:confirmed',
    );
    expect(alice.named('subscription:confirmed')[0]).toEqual({
      photoId,
      message: `Subscribed to photo ${photoId}`,
      subscribed: true,
    });
    await waitUntil(
      () =>
        alice
          .named('photo.processing.completed')
          .some(e => e.room === `photo:${photoId}`),
      20_000,
      'photo.processing.completed in the photo room',
    );
    const uploaded = alice.named('photo.uploaded');
    expect(uploaded).toHaveLength(1);
    expect(uploaded[0]).toMatchObject({
      room: 'user:alice',
      data: {
        photoId,
        userId: 'alice',
        filename: 'fjord.jpg',
        size: expect.any(Number),
        mimeType: 'image/jpeg',
        uploadedAt: expect.any(String),
      },
    });
    const inPhotoRoom = alice.events.items
      .filter(e => e.payload.room === `photo:${photoId}`)
      .map(e => e.name);
    // From whichever stage the subscription caught on, in order, to the end.
    const stages = [
      'photo.processing.started',
      'photo.processing.progress',
      'photo.processing.progress',
      'photo.processing.progress',
      'photo.processing.progress',
      'photo.processing.completed',
    ];
    expect(inPhotoRoom.length).toBeGreaterThanOrEqual(1);
    expect(inPhotoRoom).toEqual(
      stages.slice(stages.length - inPhotoRoom.length),
    );
    const completed = alice
      .named('photo.processing.completed')
      .find(e => e.room === `photo:${photoId}`)!;
    expect(completed.data).toMatchObject({
      photoId,
      userId: 'alice',
      jobId: expect.any(String),
      completedAt: expect.any(String),
      duration: expect.any(Number),
      thumbnails: expect.any(Array),
      metadata: expect.objectContaining({ width: 800, height: 600 }),
      storageInfo: expect.objectContaining({ bytes: expect.any(Number) }),
    });
  }, 30_000);

  it("refuses a stranger's subscribe:photo on someone else's photo, with an error event and the ack", async () => {
    const ack = (await bob.socket
      .timeout(5000)
      .emitWithAck('subscribe:photo', { photoId })) as {
      ok: boolean;
      code?: string;
    };
    expect(ack).toMatchObject({ ok: false, code: 'forbidden' });
    expect(bob.named('subscription:error')).toEqual([
      {
        photoId,
        code: 'forbidden',
        message: `not allowed to watch photo ${photoId} (no such photo of yours)`,
      },
    ]);
    expect(bob.named('subscription:confirmed')).toEqual([]);
    // Not deletable by him either: unknown and not his look the same.
    const response = await fetch(demo.url(`/photos/${photoId}`), {
      method: 'DELETE',
      headers: bearer('bob'),
    });
    expect(response.status).toBe(404);
  });

  it('DELETE /photos/:id publishes photo.deleted to the photo room and the owner room, then unsubscribe:photo confirms', async () => {
    const response = await fetch(demo.url(`/photos/${photoId}`), {
      method: 'DELETE',
      headers: bearer('alice'),
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toEqual({
      photoId,
      userId: 'alice',
      deletedAt: expect.any(String),
    });
    await waitUntil(
      () => alice.named('photo.deleted').length === 2,
      5000,
      'photo.deleted in both rooms',
    );
    expect(
      alice
        .named('photo.deleted')
        .map(e => e.room)
        .sort(),
    ).toEqual([`photo:${photoId}`, 'user:alice']);
    for (const event of alice.named('photo.deleted'))
      expect(event.data).toEqual(body);
    expect(
      (
        await fetch(demo.url(`/photos/${photoId}`), {
          headers: bearer('alice'),
        })
      ).status,
    ).toBe(404);

    const ack = (await alice.socket
      .timeout(5000)
      .emitWithAck('unsubscribe:photo', { photoId })) as { ok: boolean };
    expect(ack).toEqual({ ok: true });
    expect(alice.named('subscription:confirmed')[1]).toEqual({
      photoId,
      message: `Unsubscribed from photo ${photoId}`,
      subscribed: false,
    });
    // Bob, refused the room, heard nothing of it.
    await ops.get(EventBusService).broadcast('marker.event', {});
    await waitUntil(
      () => bob.named('marker.event').length === 1,
      5000,
      'the marker',
    );
    expect(bob.events.items.filter(e => e.name.startsWith('photo.'))).toEqual(
      [],
    );
  });

  it('a photo deleted while it is processed: processing stops, nothing follows photo.deleted', async () => {
    const form = new FormData();
    form.append(
      'photo',
      new Blob([new Uint8Array(await landscapeJpeg(600, 400))], {
        type: 'image/jpeg',
      }),
      'short-lived.jpg',
    );
    const response = await fetch(demo.url('/photos'), {
      method: 'POST',
      body: form,
      headers: bearer('alice'),
    });
    expect(response.status).toBe(202);
    const { photoId: doomed } = (await response.json()) as { photoId: string };
    const about = () =>
      alice.events.items.filter(
        e => e.payload.data?.photoId === doomed && e.name !== 'photo.uploaded',
      );
    await waitUntil(
      () => about().some(e => e.name === 'photo.processing.progress'),
      15_000,
      'the first progress',
    );
    expect(
      (
        await fetch(demo.url(`/photos/${doomed}`), {
          method: 'DELETE',
          headers: bearer('alice'),
        })
      ).status,
    ).toBe(200);
    await waitUntil(
      () => demo.output.join('').includes(`Photo ${doomed} was deleted at`),
      15_000,
      'the worker to stop',
    );
    await ops.get(EventBusService).publishToUser('alice', 'marker.event', {});
    await waitUntil(
      () => alice.named('marker.event').length === 1,
      5000,
      'the marker',
    );
    const names = about().map(e => e.name);
    const deletedAt = names.indexOf('photo.deleted');
    expect(deletedAt).toBeGreaterThan(0);
    expect(names.slice(deletedAt)).toEqual(['photo.deleted']);
    expect(names).not.toContain('photo.processing.completed');
    expect(names).not.toContain('photo.processing.failed');
  }, 30_000);

  it('an upload accepted with a 202 whose image does not decode: photo.upload.failed to the owner', async () => {
    const form = new FormData();
    form.append(
      'photo',
      new Blob([new Uint8Array(await truncatedJpeg())], {
        type: 'image/jpeg',
      }),
      'broken.jpg',
    );
    const response = await fetch(demo.url('/photos'), {
      method: 'POST',
      body: form,
      headers: bearer('alice'),
    });
    expect(response.status).toBe(202);
    const { photoId: brokenId } = (await response.json()) as {
      photoId: string;
    };
    await waitUntil(
      () => alice.named('photo.upload.failed').length === 1,
      15_000,
      'photo.upload.failed',
    );
    expect(alice.named('photo.upload.failed')[0]).toMatchObject({
      room: 'user:alice',
      data: {
        photoId: brokenId,
        userId: 'alice',
        filename: 'broken.jpg',
        error: expect.stringMatching(/^The image could not be decoded/),
        failedAt: expect.any(String),
      },
    });
    const failed = alice
      .named('photo.processing.failed')
      .filter(e => e.data?.photoId === brokenId);
    expect(failed.length).toBeGreaterThanOrEqual(1);
    expect(failed[0].data).toMatchObject({ retryable: false, retryCount: 0 });
  }, 30_000);
});

describe('seed 003: an upload the store cannot keep (memory transport)', () => {
  let demo: DemoProcess;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'seed-003-'));
    const file = join(dir, 'not-a-folder');
    writeFileSync(file, '');
    // DATA_DIR under a regular file: every write fails (ENOTDIR), even as root.
    demo = await DemoProcess.start(await freePort(), {
      REDIS_URL: undefined,
      DATA_DIR: join(file, 'uploads'),
    });
  }, 30_000);

  afterAll(async () => {
    await demo?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("answers 503 and sends photo.upload.failed to the owner's sockets", async () => {
    const carol = await connect(demo.url(''), 'carol', 'web-3');
    try {
      const form = new FormData();
      form.append(
        'photo',
        new Blob([new Uint8Array(await landscapeJpeg(200, 150))], {
          type: 'image/jpeg',
        }),
        'lost.jpg',
      );
      const response = await fetch(demo.url('/photos'), {
        method: 'POST',
        body: form,
        headers: { authorization: `Bearer ${tokenOf('carol')}` },
      });
      expect(response.status).toBe(503);
      expect(((await response.json()) as { message: string }).message).toMatch(
        /"lost\.jpg" could not be stored .*upload it again later/,
      );
      await waitUntil(
        () => carol.named('photo.upload.failed').length === 1,
        5000,
        'photo.upload.failed',
      );
      expect(carol.named('photo.upload.failed')[0]).toMatchObject({
        room: 'user:carol',
        data: {
          photoId: expect.any(String),
          userId: 'carol',
          filename: 'lost.jpg',
          error: expect.stringMatching(/^The photo could not be stored: /),
          failedAt: expect.any(String),
        },
      });
      expect(carol.named('photo.uploaded')).toEqual([]);
    } finally {
      carol.close();
    }
  });
});
