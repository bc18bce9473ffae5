import type { EventBusLogger } from '../../event-bus.logger.js';

/** How long PUBLISH of a type must have reached nobody before the type counts as unheard. */
const UNHEARD_AFTER_MS = 1000;
/** While a type is unheard, one real PUBLISH per interval checks whether someone listens now. */
const UNHEARD_PROBE_MS = 250;
/** While a type is heard, the receiver count of one PUBLISH per interval is looked at (not every reply: it costs a `then`). */
const AUDIENCE_SAMPLE_MS = 100;
/** Types whose audience is tracked at most (a bound on memory; past it the tracking starts over). */
const MAX_TRACKED_TYPES = 10_000;
/** Longest a subscribe() waits for its announcement to come back. */
const ANNOUNCE_TIMEOUT_MS = 500;

/** What a skipped PUBLISH resolves: the receivers it would have had. */
export const SKIPPED = Promise.resolve(0);

/** What to do with one PUBLISH: skip it, send it, or send it and pass its receiver count to `noteAudience`. */
export type PublishVerdict = 'skip' | 'send' | 'sample';

/** What the sampled PUBLISH replies of one type said about its audience. */
interface Audience {
  /** When the next reply is to be looked at. */
  sampleAt: number;
  /** Since when the sampled replies counted no receiver. */
  silentSince?: number;
  /** Set while the type is unheard: PUBLISH is skipped until then, and one probe goes out. */
  probeAt?: number;
}

/**
 * Skips the PUBLISH of types nobody has listened to for a while
 * (`redis.skipUnheardPublishes`), and tells the other buses on this Redis when
 * a subscription appears so that none keeps skipping what someone hears now.
 * A PUBLISH reply counts the receivers; one reply per type and interval is
 * looked at, and an unheard type still sends one probe per interval. Every bus
 * announces its new subscriptions on the fan-out control channel, whether it
 * skips itself or not; hearing any announcement forgets every audience.
 */
export class AudienceTracker {
  private readonly audiences = new Map<string, Audience>();
  /** Announcements of our own subscriptions waiting for their echo, by token. */
  private readonly announcing = new Map<string, () => void>();
  private announcements = 0;

  /**
   * @param skipping whether this bus skips unheard types (it announces either way)
   * @param publishAnnouncement PUBLISHes a token on the fan-out control channel
   */
  constructor(
    readonly skipping: boolean,
    private readonly publishAnnouncement: (token: string) => Promise<unknown>,
    private readonly logger: EventBusLogger,
  ) {}

  /** Decides about one PUBLISH of `route` now. */
  verdict(route: string): PublishVerdict {
    const now = Date.now();
    const audience = this.audiences.get(route);
    if (audience === undefined) {
      if (this.audiences.size >= MAX_TRACKED_TYPES) this.audiences.clear();
      this.audiences.set(route, { sampleAt: now + AUDIENCE_SAMPLE_MS });
      return 'sample';
    }
    if (audience.probeAt !== undefined) {
      if (now < audience.probeAt) return 'skip';
      audience.probeAt = now + UNHEARD_PROBE_MS;
      return 'sample';
    }
    if (now < audience.sampleAt) return 'send';
    audience.sampleAt = now + AUDIENCE_SAMPLE_MS;
    return 'sample';
  }

  /** Follows whether PUBLISH of `type` reaches anyone; a type nobody heard for UNHEARD_AFTER_MS is skipped. */
  noteAudience(type: string, receivers: number): number {
    const audience = this.audiences.get(type);
    if (audience === undefined) return receivers;
    if (receivers > 0) {
      audience.silentSince = undefined;
      audience.probeAt = undefined;
      return receivers;
    }
    const now = Date.now();
    audience.silentSince ??= now;
    if (
      audience.probeAt === undefined &&
      now - audience.silentSince >= UNHEARD_AFTER_MS
    ) {
      audience.probeAt = now + UNHEARD_PROBE_MS;
      this.logger.debug(
        `Nobody has listened to "${type}" for ${UNHEARD_AFTER_MS} ms: skipping its PUBLISH until someone subscribes.`,
      );
    }
    return receivers;
  }

  /** Every type may have an audience again (announcements were missed while the subscriber was down). */
  forget(): void {
    this.audiences.clear();
  }

  /** A bus announced a subscription on the fan-out control channel (perhaps ours, coming back). */
  heard(token: string): void {
    this.audiences.clear();
    this.announcing.get(token)?.();
  }

  /**
   * Tells every bus on this Redis that a new fan-out subscription exists, so
   * none skips its types any longer. Resolves once our own subscriber heard the
   * announcement (Redis has then handed it to every bus) and the event loop has
   * read what else arrived with it, or after ANNOUNCE_TIMEOUT_MS.
   */
  announceSubscription(): Promise<void> {
    const token = `${process.pid}:${++this.announcements}`;
    return new Promise<void>(resolve => {
      const done = (): void => {
        clearTimeout(timer);
        this.announcing.delete(token);
        // Two turns of the loop: one more poll phase reads the other connections' copies.
        setImmediate(() => setImmediate(resolve));
      };
      const timer = setTimeout(done, ANNOUNCE_TIMEOUT_MS);
      this.announcing.set(token, done);
      this.publishAnnouncement(token).catch(done);
    });
  }
}
