import { Injectable } from '@nestjs/common';
import { OnEvent, type EventEnvelope } from '@shared-infra/event-bus';

/** Where a photo is in its pipeline, as the last event about it said. */
export interface PhotoStatus {
  photoId: string;
  userId: string;
  status: 'uploaded' | 'processing' | 'completed' | 'failed';
  progress: number;
  stage?: string;
  updatedAt: string;
}

/**
 * The latest status of each photo, learned from the bus on every instance, so
 * that any instance can answer a browser that asks (`photo:status:request`).
 * In memory and bounded; a real app would read its database.
 */
@Injectable()
export class PhotoStatusTracker {
  private static readonly MAX = 10_000;
  private readonly statuses = new Map<string, PhotoStatus>();

  @OnEvent(['photo.uploaded', 'photo.processing.*'], {
    name: 'PhotoStatusTracker.track',
  })
  track(event: EventEnvelope): void {
    const data = event.data as {
      photoId?: string;
      userId?: string;
      progress?: number;
      stage?: string;
    };
    if (!data?.photoId || !data.userId) return;
    const previous = this.statuses.get(data.photoId);
    const status: PhotoStatus = {
      photoId: data.photoId,
      userId: data.userId,
      status:
        event.type === 'photo.uploaded'
          ? 'uploaded'
          : event.type === 'photo.processing.completed'
            ? 'completed'
            : event.type === 'photo.processing.failed'
              ? 'failed'
              : 'processing',
      progress:
        event.type === 'photo.processing.completed'
          ? 100
          : (data.progress ?? previous?.progress ?? 0),
      ...((data.stage ?? previous?.stage)
        ? { stage: data.stage ?? previous?.stage }
        : {}),
      updatedAt: event.metadata.timestamp,
    };
    // Events of one photo can arrive out of order across instances: never go back from an end state.
    if (
      previous &&
      (previous.status === 'completed' || previous.status === 'failed') &&
      status.status !== previous.status
    )
      return;
    this.statuses.delete(data.photoId);
    this.statuses.set(data.photoId, status);
    if (this.statuses.size > PhotoStatusTracker.MAX)
      this.statuses.delete(this.statuses.keys().next().value!);
  }

  get(photoId: string): PhotoStatus | undefined {
    return this.statuses.get(photoId);
  }
}
