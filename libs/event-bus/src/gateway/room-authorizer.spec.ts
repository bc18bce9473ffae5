import {
  DefaultRoomAuthorizer,
  defaultRooms,
  receiveOnlyMatcher,
} from './room-authorizer.js';
import type { SocketIdentity } from './interfaces.js';

const alice: SocketIdentity = {
  userId: 'alice',
  clientId: 'laptop',
  sessionId: 's1',
  permissions: [],
  claims: {},
};

describe('DefaultRoomAuthorizer', () => {
  it('puts a socket in its user, client, session and global rooms, scoped by its user', () => {
    expect(defaultRooms(alice)).toEqual([
      'user:alice',
      'client:alice:laptop',
      'session:alice:s1',
      'global',
    ]);
    expect(defaultRooms({ ...alice, sessionId: undefined })).toEqual([
      'user:alice',
      'client:alice:laptop',
      'global',
    ]);
  });

  it('gives two users who pick the same client id two rooms', () => {
    const bob: SocketIdentity = { ...alice, userId: 'bob' };
    expect(defaultRooms(bob)).not.toContain('client:alice:laptop');
    expect(defaultRooms(bob)).toContain('client:bob:laptop');
  });

  it.each([
    ['user:alice', true],
    ['client:alice:laptop', true],
    ['session:alice:s1', true],
    ['global', true],
    ['client:laptop', false],
    ['session:s1', false],
    ['user:bob', false],
    ['client:bob:laptop', false],
    ['client:alice:phone', false],
    ['session:alice:s2', false],
    ['user:alice2', false],
    ['photo:1', false],
  ])('without a policy, %s → %s', async (room, allowed) => {
    expect(await new DefaultRoomAuthorizer().canJoin(alice, room)).toBe(
      allowed,
    );
  });

  it("asks the policy for other rooms, never for other users' rooms", async () => {
    const asked: string[] = [];
    const authorizer = new DefaultRoomAuthorizer((identity, room) => {
      asked.push(room);
      return room === `photo:${identity.userId}-1`;
    });
    expect(await authorizer.canJoin(alice, 'photo:alice-1')).toBe(true);
    expect(await authorizer.canJoin(alice, 'photo:bob-1')).toBe(false);
    expect(await authorizer.canJoin(alice, 'user:bob')).toBe(false);
    expect(await authorizer.canJoin(alice, 'client:bob:laptop')).toBe(false);
    expect(asked).toEqual(['photo:alice-1', 'photo:bob-1']);
  });

  it('treats anything but true from the policy as a refusal', async () => {
    const authorizer = new DefaultRoomAuthorizer(
      () => 'yes' as unknown as boolean,
    );
    expect(await authorizer.canJoin(alice, 'photo:1')).toBe(false);
  });
});

describe('receiveOnlyMatcher', () => {
  const receiveOnly = receiveOnlyMatcher(['news', 'announcements:*']);

  it.each([
    ['global', true],
    ['news', true],
    ['announcements:all', true],
    ['announcements:', true],
    ['newsroom', false],
    ['photo:1', false],
  ])('%s → %s', (room, expected) => expect(receiveOnly(room)).toBe(expected));

  it('always holds global', () =>
    expect(receiveOnlyMatcher([])('global')).toBe(true));
});
