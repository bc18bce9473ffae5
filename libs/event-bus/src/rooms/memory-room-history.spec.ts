import { MemoryRoomHistory, replayAfter } from './memory-room-history.js';
import { targetRoom, isValidRoomName } from './room-names.js';

describe('room history', () => {
  const kept = ['a', 'b', 'c', 'd'].map(id => ({ id, payload: `p-${id}` }));

  it('replays what came after the last seen id', () => {
    expect(replayAfter(kept, 'b')).toEqual({
      recovered: true,
      payloads: ['p-c', 'p-d'],
    });
    expect(replayAfter(kept, 'd')).toEqual({ recovered: true, payloads: [] });
  });

  it('is not recovered when the id is not kept', () => {
    expect(replayAfter(kept, 'z')).toEqual({ recovered: false, payloads: [] });
  });

  it('keeps at most maxLength events per room, and forgets them after maxAgeMs', async () => {
    const history = new MemoryRoomHistory({
      enabled: true,
      maxLength: 3,
      maxAgeMs: 60_000,
    });
    for (const id of ['1', '2', '3', '4'])
      await history.append('r', id, `p${id}`);
    expect(await history.since('r', '1')).toEqual({
      recovered: false,
      payloads: [],
    });
    expect(await history.since('r', '2')).toEqual({
      recovered: true,
      payloads: ['p3', 'p4'],
    });
    expect(await history.since('other', '2')).toEqual({
      recovered: false,
      payloads: [],
    });
    const shortLived = new MemoryRoomHistory({
      enabled: true,
      maxLength: 3,
      maxAgeMs: 0,
    });
    await shortLived.append('r', '1', 'p1');
    await new Promise(r => setTimeout(r, 5));
    expect(await shortLived.since('r', '1')).toEqual({
      recovered: false,
      payloads: [],
    });
  });

  it.each([
    [{ room: 'photo:1' }, 'photo:1'],
    [{ userId: 'alice' }, 'user:alice'],
    [{ broadcast: true }, 'global'],
    [{}, undefined],
  ])('targets %j at %s', (target, room) => {
    expect(
      targetRoom({
        source: 's',
        timestamp: '',
        traceId: 't',
        correlationId: 't',
        ...target,
      }),
    ).toBe(room);
  });

  it.each(['photo:1', 'user:a.b@c', 'x'])('accepts room %s', room =>
    expect(isValidRoomName(room)).toBe(true),
  );
  it.each(['', 'has space', '{tag}', 'a*', 'x'.repeat(129), 42, null])(
    'refuses room %j',
    room => expect(isValidRoomName(room)).toBe(false),
  );
});
