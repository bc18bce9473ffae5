import type { ResolvedFramesOptions } from '../../event-bus.config.js';
import { FrameWriter } from './event-frame.js';

/** The events collected for one channel, and the one promise they all answer with. */
interface OpenFrame {
  channel: string;
  writer: FrameWriter;
  sent: Promise<number>;
  resolve(receivers: number): void;
  reject(error: unknown): void;
}

/**
 * The publishing side of `redis.frames`: collects the payloads published on
 * each channel and sends each channel's as one message (see `encodeFrame`).
 * A frame is sent when the next event would pass `maxEvents` or `maxBytes`,
 * and otherwise at the end of the tick (`maxDelayMs: 0`, a `process.nextTick`
 * after the first event: the microtasks of the publishes run first, so a burst
 * of awaits resolving together fills one frame) or `maxDelayMs` after its
 * first event. Every event of a frame gets the frame's result: Redis' receiver
 * count, or its error. Frames leave in the order they were opened, so a
 * channel's events keep their publish order.
 */
export class FramePublisher {
  private readonly open = new Map<string, OpenFrame>();
  private scheduled = false;
  private timer?: NodeJS.Timeout;

  /**
   * @param limits resolved `redis.frames`
   * @param send PUBLISHes one message (a frame, or a lone envelope)
   */
  constructor(
    private readonly limits: ResolvedFramesOptions,
    private readonly send: (
      channel: string,
      message: string | Buffer,
    ) => Promise<number>,
  ) {}

  /** Adds one payload to its channel's frame; resolves with the frame's receiver count. */
  publish(channel: string, payload: string): Promise<number> {
    let frame = this.open.get(channel);
    if (
      frame !== undefined &&
      (frame.writer.count >= this.limits.maxEvents ||
        !frame.writer.add(payload))
    ) {
      this.sendFrame(frame);
      frame = undefined;
    }
    if (frame === undefined) {
      frame = this.begin(channel);
      frame.writer.add(payload);
    }
    return frame.sent;
  }

  /** Sends every open frame now (before a plain PUBLISH that must not overtake them, or QUIT). */
  flush(): void {
    this.scheduled = false;
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    for (const frame of this.open.values()) this.sendFrame(frame);
  }

  private begin(channel: string): OpenFrame {
    let resolve!: (receivers: number) => void;
    let reject!: (error: unknown) => void;
    const sent = new Promise<number>((ok, fail) => {
      resolve = ok;
      reject = fail;
    });
    const frame: OpenFrame = {
      channel,
      writer: new FrameWriter(this.limits.maxBytes),
      sent,
      resolve,
      reject,
    };
    this.open.set(channel, frame);
    if (!this.scheduled) {
      this.scheduled = true;
      if (this.limits.maxDelayMs === 0)
        process.nextTick(() => this.onDeadline());
      else
        this.timer = setTimeout(
          () => this.onDeadline(),
          this.limits.maxDelayMs,
        );
    }
    return frame;
  }

  private onDeadline(): void {
    // A flush since then (a plain publish, close) already sent what was due.
    if (this.scheduled) this.flush();
  }

  private sendFrame(frame: OpenFrame): void {
    this.open.delete(frame.channel);
    // A lone event travels as the plain envelope: nothing to split, the same bytes as without frames.
    const message = frame.writer.finish();
    let sent: Promise<number>;
    try {
      sent = this.send(frame.channel, message);
    } catch (error) {
      frame.reject(error);
      return;
    }
    sent.then(frame.resolve, frame.reject);
  }
}
