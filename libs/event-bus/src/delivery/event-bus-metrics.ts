import { Injectable } from '@nestjs/common';

const WINDOW_SECONDS = 10;

/**
 * The bus' counters. One instance per bus; `EventBusService.getStats()` reads it,
 * and the health and metrics layers read the same numbers.
 */
@Injectable()
export class EventBusMetrics {
  published = 0;
  received = 0;
  delivered = 0;
  failed = 0;
  retried = 0;
  filtered = 0;
  dropped = 0;
  malformed = 0;
  deadLettered = 0;
  inFlight = 0;
  private latencyTotal = 0;
  private latencyCount = 0;
  // Deliveries per second for the last WINDOW_SECONDS seconds, indexed by second modulo the window.
  private readonly buckets = new Array<number>(WINDOW_SECONDS).fill(0);
  private readonly bucketSecond = new Array<number>(WINDOW_SECONDS).fill(-1);

  recordDelivery(latencyMs: number): void {
    this.delivered++;
    if (Number.isFinite(latencyMs) && latencyMs >= 0) {
      this.latencyTotal += latencyMs;
      this.latencyCount++;
    }
    const second = Math.floor(Date.now() / 1000);
    const slot = second % WINDOW_SECONDS;
    if (this.bucketSecond[slot] !== second) {
      this.bucketSecond[slot] = second;
      this.buckets[slot] = 0;
    }
    this.buckets[slot]++;
  }

  /** Deliveries per second over the last complete window. */
  rate(): number {
    const now = Math.floor(Date.now() / 1000);
    let total = 0;
    for (let i = 0; i < WINDOW_SECONDS; i++) {
      if (now - this.bucketSecond[i] < WINDOW_SECONDS) total += this.buckets[i];
    }
    return Math.round((total / WINDOW_SECONDS) * 100) / 100;
  }

  averageLatency(): number {
    return this.latencyCount === 0 ? 0 : Math.round((this.latencyTotal / this.latencyCount) * 100) / 100;
  }
}
