import { Injectable } from '@nestjs/common';
import { OnEvent, type EventEnvelope } from '@shared-infra/event-bus';

const KEEP = 200;

/** Keeps the latest events of the photo pipeline, to show what the bus carried. */
@Injectable()
export class ActivityService {
  private readonly recent: EventEnvelope[] = [];

  @OnEvent(['photo.**', 'notification.*'])
  record(event: EventEnvelope): void {
    this.recent.push(event);
    if (this.recent.length > KEEP) {
      this.recent.splice(0, this.recent.length - KEEP);
    }
  }

  /** Up to `limit` of the latest events that concern `userId`, newest first. */
  list(userId: string, limit = 50): EventEnvelope[] {
    const mine: EventEnvelope[] = [];
    for (let i = this.recent.length - 1; i >= 0 && mine.length < limit; i--) {
      if (concerns(this.recent[i], userId)) mine.push(this.recent[i]);
    }
    return mine;
  }
}

/**
 * Whether an event is about `userId`: the photo events name their owner in
 * `data.userId`; what goes to a user's devices carries `metadata.userId`.
 */
function concerns(event: EventEnvelope, userId: string): boolean {
  const data = event.data as { userId?: unknown } | null;
  return data?.userId === userId || event.metadata.userId === userId;
}
