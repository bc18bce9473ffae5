import type { ClientEvent } from '@shared-infra/event-bus/gateway';
import { RoomTracker } from './room-tracker.js';

const event = (id: string, room = 'photo:1'): ClientEvent => ({
  id,
  type: 'photo.step',
  data: { id },
  timestamp: '2026-01-01T00:00:00.000Z',
  room,
});
const ids = (events: ClientEvent[]) => events.map(e => e.id);

describe('RoomTracker', () => {
  it('keeps the id of the last event delivered per room', () => {
    const tracker = new RoomTracker();
    tracker.receive(event('A1', 'a'));
    tracker.receive(event('B1', 'b'));
    tracker.receive(event('A2', 'a'));
    expect(tracker.lastId('a')).toBe('A2');
    expect(tracker.lastId('b')).toBe('B1');
    expect(tracker.lastId('c')).toBeUndefined();
    expect(tracker.roomNames().sort()).toEqual(['a', 'b']);
  });

  it('delivers an event once per room, even when it comes again', () => {
    const tracker = new RoomTracker();
    expect(ids(tracker.receive(event('E1')))).toEqual(['E1']);
    expect(ids(tracker.receive(event('E1')))).toEqual([]);
    // The same event sent to another room is that room's.
    expect(ids(tracker.receive(event('E1', 'other')))).toEqual(['E1']);
    // A repeat does not move the last id back.
    tracker.receive(event('E2'));
    tracker.receive(event('E1'));
    expect(tracker.lastId('photo:1')).toBe('E2');
  });

  it('remembers a bounded number of ids per room', () => {
    const tracker = new RoomTracker(3);
    for (const id of ['E1', 'E2', 'E3', 'E4']) tracker.receive(event(id));
    // E1 fell out of the window: a very late repeat gets through; the last three do not.
    expect(ids(tracker.receive(event('E1')))).toEqual(['E1']);
    for (const id of ['E3', 'E4'])
      expect(tracker.receive(event(id))).toEqual([]);
  });

  it('holds a recovering room back and, after a replay, keeps the replayed copy of an event that also came live', () => {
    const tracker = new RoomTracker();
    tracker.receive(event('E1'));
    tracker.hold('photo:1');
    expect(tracker.isHeld('photo:1')).toBe(true);
    // E4 came live before the server took the socket out of the room; then the replay (E2..E4), then live E5.
    for (const id of ['E4', 'E2', 'E3', 'E4', 'E5'])
      expect(tracker.receive(event(id))).toEqual([]);
    expect(ids(tracker.release('photo:1', 'replayed'))).toEqual([
      'E2',
      'E3',
      'E4',
      'E5',
    ]);
    expect(tracker.isHeld('photo:1')).toBe(false);
    expect(tracker.lastId('photo:1')).toBe('E5');
    // After the release events flow again, still without repeats.
    expect(ids(tracker.receive(event('E5')))).toEqual([]);
    expect(ids(tracker.receive(event('E6')))).toEqual(['E6']);
  });

  it('puts what the server left out of the replay (it came live before) where the replay order says', () => {
    const tracker = new RoomTracker();
    tracker.receive(event('E1'));
    tracker.hold('photo:1');
    // E4 and E5 came live before the recovery; the replay sends E2, E3 only; then E6 live.
    for (const id of ['E4', 'E5', 'E2', 'E3', 'E6'])
      expect(tracker.receive(event(id))).toEqual([]);
    expect(
      ids(tracker.release('photo:1', 'replayed', ['E2', 'E3', 'E4', 'E5'])),
    ).toEqual(['E2', 'E3', 'E4', 'E5', 'E6']);
  });

  it('releases a room whose history was lost as the events came, minus what was delivered before', () => {
    const tracker = new RoomTracker();
    tracker.receive(event('E1'));
    tracker.hold('photo:1');
    for (const id of ['E9', 'E1', 'E10', 'E9']) tracker.receive(event(id));
    expect(ids(tracker.release('photo:1', 'live'))).toEqual(['E9', 'E10']);
  });

  it('holds only the room asked for', () => {
    const tracker = new RoomTracker();
    tracker.hold('a');
    expect(tracker.receive(event('X', 'b'))).toHaveLength(1);
    expect(tracker.receive(event('Y', 'a'))).toEqual([]);
    expect(tracker.release('b', 'live')).toEqual([]);
  });

  it('drops held events when the connection goes, so the next recovery asks from the last delivered id', () => {
    const tracker = new RoomTracker();
    tracker.receive(event('E1'));
    tracker.hold('photo:1');
    tracker.receive(event('E2'));
    tracker.dropHolds();
    expect(tracker.isHeld('photo:1')).toBe(false);
    expect(tracker.lastId('photo:1')).toBe('E1');
    expect(ids(tracker.receive(event('E2')))).toEqual(['E2']);
  });

  it('forgets a room', () => {
    const tracker = new RoomTracker();
    tracker.receive(event('E1'));
    tracker.forget('photo:1');
    expect(tracker.lastId('photo:1')).toBeUndefined();
    expect(tracker.roomNames()).toEqual([]);
  });
});
