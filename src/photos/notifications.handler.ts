import { Injectable } from '@nestjs/common';
import {
  EventBusService,
  OnEvent,
  type EventOf,
} from '@shared-infra/event-bus';
import { LocalJobs } from './local-jobs.service.js';

/**
 * Turns finished processing into a notification for the photo's owner.
 *
 * The worker publishes each outcome twice (to the photo's room and to the
 * owner's room) and every instance hears both: the notification is sent once,
 * for the photo room's copy, by the instance that ran the job.
 */
@Injectable()
export class NotificationsHandler {
  constructor(
    private readonly eventBus: EventBusService,
    private readonly jobs: LocalJobs,
  ) {}

  @OnEvent('photo.processing.completed')
  async onCompleted(
    event: EventOf<'photo.processing.completed'>,
  ): Promise<void> {
    const { photoId, userId, jobId } = event.data;
    if (!this.isMine(event.metadata.room, photoId, jobId)) return;
    await this.eventBus.publishToUser(userId, 'notification.new', {
      type: 'photo_processed',
      title: 'Your photo is ready!',
      message: 'Photo processing completed successfully',
      photoId,
      link: `/photos/${photoId}`,
      timestamp: new Date().toISOString(),
    });
  }

  @OnEvent('photo.processing.failed')
  async onFailed(event: EventOf<'photo.processing.failed'>): Promise<void> {
    const { photoId, userId, jobId, error, retryable } = event.data;
    if (!this.isMine(event.metadata.room, photoId, jobId)) return;
    await this.eventBus.publishToUser(userId, 'notification.new', {
      type: 'photo_processing_failed',
      title: 'Photo processing failed',
      message: `Failed to process your photo: ${error.message}${retryable ? ' It will be retried.' : ''}`,
      photoId,
      severity: 'error',
      timestamp: new Date().toISOString(),
    });
  }

  private isMine(
    room: string | undefined,
    photoId: string,
    jobId: string,
  ): boolean {
    return room === `photo:${photoId}` && this.jobs.ranHere(jobId);
  }
}
