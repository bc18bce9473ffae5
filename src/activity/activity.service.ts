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
    if (this.recent.length > KEEP) this.recent.splice(0, this.recent.length - KEEP);
  }

  list(limit = 50): EventEnvelope[] {
    return this.recent.slice(-limit).reverse();
  }
}
