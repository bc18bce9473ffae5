import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { freePort } from './setup/free-port.js';
import { waitUntil } from './utils/collector.js';
import { DemoProcess } from './utils/demo-process.js';
import { connectClient, type TestClient } from './utils/gateway-client.js';

/**
 * The seed's request pattern in the demo: a socket asks for a photo's current
 * status and only that socket gets the answer.
 */
describe('demo: photo:status:request', () => {
  let demo: DemoProcess;
  const clients: TestClient[] = [];

  const tokenOf = async (userId: string) =>
    (
      await demo.json<{ token: string }>('/auth/token', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ userId }),
      })
    ).body.token;

  const client = async (userId: string) => {
    const c = await connectClient(demo.url(''), {
      token: await tokenOf(userId),
    });
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    demo = await DemoProcess.start(await freePort(), { REDIS_URL: undefined });
  });

  afterAll(async () => {
    clients.forEach(c => c.close());
    await demo?.stop();
  });

  it('answers the owner with the latest status in the ack, and refuses anyone else', async () => {
    const owner = await client('user-1');
    const other = await client('user-2');
    const created = await demo.json<{ photoId: string }>('/photos', {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${await tokenOf('user-1')}`,
      },
      body: JSON.stringify({
        filename: 'a.jpg',
        size: 1000,
        mimeType: 'image/jpeg',
      }),
    });
    const { photoId } = created.body;
    let ack: { ok: boolean; status?: { status: string; progress: number } } = {
      ok: false,
    };
    await waitUntil(
      async () => {
        ack = (await owner.request('photo:status:request', {
          photoId,
        })) as typeof ack;
        return ack.ok && ack.status?.status === 'completed';
      },
      15_000,
      'the photo to complete',
    );
    expect(ack.status).toMatchObject({
      photoId,
      userId: 'user-1',
      status: 'completed',
      progress: 100,
    });
    expect(
      await other.request('photo:status:request', { photoId }),
    ).toMatchObject({ ok: false, code: 'forbidden' });
    expect(
      await owner.request('photo:status:request', { photoId: 'not-a-uuid' }),
    ).toMatchObject({ ok: false, code: 'invalid' });
    // The answer went to the asking socket only, as an ack: no event reached the other user.
    expect(
      other.events.items.filter(e => e.type?.startsWith('photo.')),
    ).toEqual([]);
  });
});
