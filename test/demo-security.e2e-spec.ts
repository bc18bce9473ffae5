import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { JwtService } from '@nestjs/jwt';
import type { EventEnvelope } from '@shared-infra/event-bus';
import { io, type Socket } from 'socket.io-client';
import { jwtSecret } from '../src/auth/jwt-secret.js';
import { freePort } from './setup/free-port.js';
import { RedisServer } from './setup/redis-server.js';
import { Collector, waitUntil } from './utils/collector.js';
import { DemoProcess } from './utils/demo-process.js';

// Signed here, not asked of POST /auth/token: a client holding a token of the
// demo's documented secret (the child process inherits this process' JWT_SECRET).
const jwt = new JwtService({ secret: jwtSecret() });
const tokenOf = (userId: string) =>
  jwt.sign({ sub: userId }, { expiresIn: '1h' });
const bearer = (userId: string) => ({
  authorization: `Bearer ${tokenOf(userId)}`,
});

const STAGES = [
  'photo.processing.started',
  'photo.processing.progress',
  'photo.processing.progress',
  'photo.processing.progress',
  'photo.processing.progress',
  'photo.processing.completed',
];

const photo = { filename: 'private.jpg', size: 1000, mimeType: 'image/jpeg' };

interface Pushed {
  name: string;
  payload: { type?: string; data?: { photoId?: string } };
}

/** A plain socket.io client of `userId`, recording every event pushed to it. */
async function listen(
  url: string,
  userId: string,
): Promise<{ events: Collector<Pushed>; socket: Socket }> {
  const socket = io(url, {
    auth: { token: tokenOf(userId) },
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
  });
  const events = new Collector<Pushed>();
  socket.onAny((name: string, payload: Pushed['payload']) =>
    events.push({ name, payload }),
  );
  await new Promise<void>((resolve, reject) => {
    socket.once('connect_error', reject);
    socket.once('connection:established', () => resolve());
  });
  // The socket's own arrival is announced to the user's devices, itself included:
  // wait for that notice so that whatever comes next was caused by the test.
  await until(
    events,
    items => items.some(e => e.name === 'device.connected'),
    5000,
  );
  events.clear();
  return { events, socket };
}

/** Waits until `done` holds for what arrived, or `ms` passed; returns what arrived. */
async function until(
  events: Collector<Pushed>,
  done: (items: Pushed[]) => boolean,
  ms: number,
): Promise<Pushed[]> {
  const deadline = Date.now() + ms;
  while (!done(events.items) && Date.now() < deadline) {
    await events
      .waitFor(events.length + 1, deadline - Date.now())
      .catch(() => undefined);
  }
  return events.items.slice();
}

function postPhoto(
  demo: DemoProcess,
  body: Record<string, unknown>,
  headers: Record<string, string> = {},
) {
  return demo.json<{ photoId: string; message?: string }>('/photos', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

describe.each([
  ['memory', false],
  ['redis', true],
])(
  'demo security on the %s transport: no push without a verified token',
  (_transport, onRedis) => {
    let redis: RedisServer | undefined;
    let demo: DemoProcess;
    const sockets: Socket[] = [];

    const socketOf = async (userId: string) => {
      const listener = await listen(demo.url(''), userId);
      sockets.push(listener.socket);
      return listener.events;
    };

    beforeAll(async () => {
      if (onRedis) redis = await RedisServer.start();
      demo = await DemoProcess.start(await freePort(), {
        REDIS_URL: redis?.url,
        PHOTO_STAGE_MIN_MS: '0',
      });
    });

    /**
     * What alice was pushed before a valid upload of hers, sent after the refused
     * request: anything the refused one caused would come first. Waits for the
     * upload's last push, so that none of it reaches the next test's socket.
     */
    const pushedBeforeMarker = async (alice: Collector<Pushed>) => {
      const marker = await postPhoto(demo, photo, bearer('alice'));
      expect(marker.status).toBe(202);
      const names = (items: Pushed[]) => items.map(e => e.name);
      const pushed = await until(
        alice,
        items =>
          names(items).includes('photo.processing.completed') &&
          names(items).includes('notification.new'),
        15_000,
      );
      const first = pushed.findIndex(
        e => e.payload.data?.photoId === marker.body.photoId,
      );
      return first === -1 ? pushed : pushed.slice(0, first);
    };

    afterAll(async () => {
      sockets.forEach(s => s.close());
      await demo?.stop();
      await redis?.stop();
    });

    it('POST /photos (JSON) without a token: 401 saying how to get one, and the named user is sent nothing', async () => {
      const alice = await socketOf('alice');
      const response = await postPhoto(demo, { userId: 'alice', ...photo });
      expect(response.status).toBe(401);
      expect(response.body.message).toMatch(/POST \/auth\/token/);
      expect(await pushedBeforeMarker(alice)).toEqual([]);
    });

    it("POST /photos (JSON) with Bob's token naming alice: 403, and Alice is sent nothing", async () => {
      const alice = await socketOf('alice');
      const response = await postPhoto(
        demo,
        { userId: 'alice', ...photo },
        bearer('bob'),
      );
      expect(response.status).toBe(403);
      expect(response.body.message).toMatch(/token's user \(bob\)/);
      expect(await pushedBeforeMarker(alice)).toEqual([]);
    });

    it('POST /photos (JSON) with a token of another secret, or a garbled one: 401', async () => {
      const forged = new JwtService({
        secret: 'not-the-demo-secret-not-the-demo-secret',
      }).sign({ sub: 'alice' });
      expect(
        (await postPhoto(demo, photo, { authorization: `Bearer ${forged}` }))
          .status,
      ).toBe(401);
      expect(
        (await postPhoto(demo, photo, { authorization: 'Bearer not-a-jwt' }))
          .status,
      ).toBe(401);
    });

    it("POST /photos (JSON) with Alice's own token: 202, and Alice's socket gets the photo's events", async () => {
      const alice = await socketOf('alice');
      const response = await postPhoto(demo, photo, bearer('alice'));
      expect(response.status).toBe(202);
      const { photoId } = response.body;
      const names = (items: Pushed[]) => items.map(e => e.name);
      const pushed = await until(
        alice,
        items =>
          names(items).includes('photo.processing.completed') &&
          names(items).includes('notification.new'),
        15_000,
      );
      const photoEvents = pushed.filter(e => e.name.startsWith('photo.'));
      // photo.uploaded reaches the owner's devices too (seed 003), before the stages.
      expect(names(photoEvents)).toEqual(['photo.uploaded', ...STAGES]);
      expect(photoEvents.every(e => e.payload.data?.photoId === photoId)).toBe(
        true,
      );
      expect(names(pushed.filter(e => !e.name.startsWith('photo.')))).toEqual([
        'notification.new',
      ]);
      // The body's userId, when it names the token's user, is accepted too.
      expect(
        (await postPhoto(demo, { userId: 'alice', ...photo }, bearer('alice')))
          .status,
      ).toBe(202);
    });

    it('GET /photos, /photos/:id, /devices and /events without a token: 401', async () => {
      for (const path of [
        '/photos',
        '/photos/00000000-0000-4000-8000-000000000000',
        '/devices',
        '/events',
      ]) {
        const response = await demo.json<{ message: string }>(path);
        expect({ path, status: response.status }).toEqual({
          path,
          status: 401,
        });
        expect(response.body.message).toMatch(/POST \/auth\/token/);
      }
    });

    it("GET /events lists the signed-in user's events only", async () => {
      // Bob has a photo of his own, so his list is not empty by luck; Alice's ran in a test above.
      const bobsPhoto = await postPhoto(demo, photo, bearer('bob'));
      expect(bobsPhoto.status).toBe(202);
      const eventsOf = async (userId: string) => {
        const response = await demo.json<EventEnvelope[]>('/events?limit=200', {
          headers: bearer(userId),
        });
        expect(response.status).toBe(200);
        return response.body;
      };
      const concerns = (e: EventEnvelope, userId: string) =>
        (e.data as { userId?: unknown }).userId === userId ||
        e.metadata.userId === userId;
      let bobs: EventEnvelope[] = [];
      await waitUntil(
        async () =>
          (bobs = await eventsOf('bob')).some(
            e => e.type === 'notification.new',
          ),
        15_000,
        "Bob's photo to be processed",
      );
      expect(bobs.filter(e => !concerns(e, 'bob'))).toEqual([]);
      const alices = await eventsOf('alice');
      expect(alices.some(e => e.type === 'photo.uploaded')).toBe(true);
      expect(alices.filter(e => !concerns(e, 'alice'))).toEqual([]);
    });
  },
);
