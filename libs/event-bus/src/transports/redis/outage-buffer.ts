import { EventBusUnavailableError } from '../../errors/event-bus-unavailable.error.js';
import { messages } from '../../event-bus.messages.js';

/**
 * Bounds what waits in ioredis' offline queue while Redis is unreachable: up
 * to `maxPublishes` publishes and `maxBytes` of payload, counted once per
 * publish over every command it sends (PUBLISH, durable XADD, room history).
 */
export class OutageBuffer {
  /** Publishes admitted whose commands have not settled, and their bytes. */
  private buffered = 0;
  private bufferedBytes = 0;

  constructor(
    private readonly maxPublishes: number,
    private readonly maxBytes: number,
  ) {}

  /**
   * Counts one publish in; the returned function counts it out (once, however
   * often it is called) when its commands have settled.
   *
   * @throws EventBusUnavailableError when the publish would pass either bound
   */
  admit(payload: string): () => void {
    const bytes = Buffer.byteLength(payload);
    if (
      this.buffered >= this.maxPublishes ||
      this.bufferedBytes + bytes > this.maxBytes
    ) {
      throw new EventBusUnavailableError(
        messages.publishBufferFull(
          this.buffered,
          this.bufferedBytes,
          this.maxPublishes,
          this.maxBytes,
        ),
      );
    }
    this.buffered++;
    this.bufferedBytes += bytes;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.buffered--;
      this.bufferedBytes -= bytes;
    };
  }
}
