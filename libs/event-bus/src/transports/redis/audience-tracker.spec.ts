import {
  afterEach,
  beforeEach,
  describe,
  expect,
  it,
  jest,
} from '@jest/globals';
import { EventBusLogger } from '../../event-bus.logger.js';
import { AudienceTracker } from './audience-tracker.js';

const logger = new EventBusLogger('test', 'error');

describe('AudienceTracker', () => {
  let announced: string[];
  let tracker: AudienceTracker;

  beforeEach(() => {
    jest.useFakeTimers({ now: 1_000_000 });
    announced = [];
    tracker = new AudienceTracker(
      true,
      async token => void announced.push(token),
      logger,
    );
  });

  afterEach(() => {
    jest.useRealTimers();
  });

  /** Publishes `type` as the transport does, with `receivers` as every sampled reply. */
  const publish = (type: string, receivers: number) => {
    const verdict = tracker.verdict(type);
    if (verdict === 'sample') tracker.noteAudience(type, receivers);
    return verdict;
  };

  it('looks at one reply per sample interval of a heard type', () => {
    expect(publish('a.b', 1)).toBe('sample');
    expect(publish('a.b', 1)).toBe('send');
    jest.advanceTimersByTime(100);
    expect(publish('a.b', 1)).toBe('sample');
  });

  it('skips a type nobody heard for a second, with one probe per interval, until a probe reaches someone', () => {
    // Silent for 0 … 1000 ms: sent all along.
    for (let i = 0; i <= 10; i++) {
      expect(publish('a.b', 0)).not.toBe('skip');
      jest.advanceTimersByTime(100);
    }
    expect(publish('a.b', 0)).toBe('skip');
    jest.advanceTimersByTime(250);
    expect(publish('a.b', 0)).toBe('sample'); // the probe: still nobody
    expect(publish('a.b', 0)).toBe('skip');
    jest.advanceTimersByTime(250);
    expect(publish('a.b', 3)).toBe('sample'); // the probe: someone listens now
    expect(publish('a.b', 3)).not.toBe('skip');
    expect(publish('a.b', 3)).not.toBe('skip');
  });

  it('forgets every audience when any bus announces a subscription', () => {
    for (let i = 0; i <= 10; i++) {
      publish('a.b', 0);
      jest.advanceTimersByTime(100);
    }
    expect(publish('a.b', 0)).toBe('skip');
    tracker.heard('someone else');
    expect(publish('a.b', 0)).toBe('sample');
  });

  describe('announcements (real timers: they wait for two turns of the event loop)', () => {
    beforeEach(() => {
      jest.useRealTimers();
    });

    it('resolve once their own echo came back, not before', async () => {
      let resolved = false;
      const done = tracker.announceSubscription().then(() => (resolved = true));
      expect(announced).toHaveLength(1);
      tracker.heard('someone else');
      await new Promise(resolve => setImmediate(resolve));
      await new Promise(resolve => setImmediate(resolve));
      expect(resolved).toBe(false);
      tracker.heard(announced[0]);
      await done;
      expect(resolved).toBe(true);
    });

    it('resolve without an echo, and when their PUBLISH failed', async () => {
      await expect(tracker.announceSubscription()).resolves.toBeUndefined();
      const failing = new AudienceTracker(
        true,
        () => Promise.reject(new Error('NOPERM')),
        logger,
      );
      await expect(failing.announceSubscription()).resolves.toBeUndefined();
    });

    it('use a new token each time', async () => {
      void tracker.announceSubscription();
      void tracker.announceSubscription();
      expect(new Set(announced).size).toBe(2);
      announced.forEach(token => tracker.heard(token));
    });
  });
});
