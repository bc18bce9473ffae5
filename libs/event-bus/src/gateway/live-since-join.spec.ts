import { LiveSinceJoin } from './live-since-join.js';

describe('LiveSinceJoin', () => {
  let now: number;
  const clock = () => now;

  beforeEach(() => {
    now = 1_000_000;
  });

  it('gives the ids a socket got in a room since it joined, not those before, nor other rooms', () => {
    const live = new LiveSinceJoin(10_000, 1000, clock);
    live.joined('a', 's1');
    live.delivered('a', 'e1');
    live.joined('a', 's2');
    live.delivered('a', 'e2');
    live.delivered('b', 'x1');
    expect([...live.seen('a', 's1')!]).toEqual(['e1', 'e2']);
    expect([...live.seen('a', 's2')!]).toEqual(['e2']);
    expect(live.seen('b', 's1')).toBeUndefined();
  });

  it('starts from the ids given at the join', () => {
    const live = new LiveSinceJoin(10_000, 1000, clock);
    live.joined('a', 's1', new Set(['r1', 'r2']));
    live.delivered('a', 'e1');
    expect([...live.seen('a', 's1')!]).toEqual(['r1', 'r2', 'e1']);
  });

  it('forgets a join after the ttl, and the room log with it', () => {
    const live = new LiveSinceJoin(10_000, 1000, clock);
    live.joined('a', 's1');
    live.delivered('a', 'e1');
    now += 10_001;
    expect(live.seen('a', 's1')).toBeUndefined();
    live.delivered('a', 'e2');
    live.joined('a', 's2');
    live.delivered('a', 'e3');
    expect([...live.seen('a', 's2')!]).toEqual(['e3']);
  });

  it('keeps a later join of the same socket and room, from that join on', () => {
    const live = new LiveSinceJoin(10_000, 1000, clock);
    live.joined('a', 's1');
    live.delivered('a', 'e1');
    now += 5000;
    live.joined('a', 's1', new Set(['r1']));
    live.delivered('a', 'e2');
    now += 6000;
    expect([...live.seen('a', 's1')!]).toEqual(['r1', 'e2']);
  });

  it('keeps at most maxIds per socket and room', () => {
    const live = new LiveSinceJoin(10_000, 3, clock);
    live.joined('a', 's1');
    for (let i = 0; i < 10; i++) live.delivered('a', `e${i}`);
    expect(live.seen('a', 's1')!.size).toBe(3);
  });

  it('drops expired log entries in bulk and still answers from the right position', () => {
    const live = new LiveSinceJoin(1000, 10_000, clock);
    live.joined('a', 'old');
    for (let i = 0; i < 600; i++) {
      now += 10;
      if (i === 500) live.joined('a', 's1');
      live.delivered('a', `e${i}`);
    }
    // e500..e599 came after s1 joined; the log has dropped what is older than 1 s meanwhile.
    expect([...live.seen('a', 's1')!]).toEqual(
      Array.from({ length: 100 }, (_, i) => `e${500 + i}`),
    );
  });

  it('forgets a socket that left the room or disconnected', () => {
    const live = new LiveSinceJoin(10_000, 1000, clock);
    live.joined('a', 's1');
    live.joined('b', 's1');
    live.joined('a', 's2');
    live.left('a', 's1');
    live.gone('s2');
    live.delivered('a', 'e1');
    expect(live.seen('a', 's1')).toBeUndefined();
    expect(live.seen('a', 's2')).toBeUndefined();
    expect(live.seen('b', 's1')).toEqual(new Set());
  });
});
