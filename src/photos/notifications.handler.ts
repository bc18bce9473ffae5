import { Injectable } from '@nestjs/common';
import { EventBusService, OnEvent, type EventOf } from '@shared-infra/event-bus';

/** Turns finished processing into a notification for the photo's owner. */
@Injectable()
export class NotificationsHandler {
  constructor(private readonly eventBus: EventBusService) {}

  @OnEvent('photo.processing.completed')
  async onCompleted(event: EventOf<'photo.processing.completed'>): Promise<void> {
    const { photoId, userId } = event.data;
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
    const { photoId, userId, error } = event.data;
    await this.eventBus.publishToUser(userId, 'notification.new', {
      type: 'photo_processing_failed',
      title: 'Photo processing failed',
      message: `Failed to process your photo: ${error.message}`,
      photoId,
      severity: 'error',
      timestamp: new Date().toISOString(),
    });
  }
}
