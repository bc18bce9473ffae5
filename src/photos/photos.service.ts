import { Injectable } from '@nestjs/common';
import { EventBusService, type PublishResult } from '@shared-infra/event-bus';
import { randomUUID } from 'node:crypto';
import type { CreatePhotoDto } from './dto/create-photo.dto.js';
import { PhotoOwners } from './photo-owners.service.js';

/** Accepts photos and announces them on the bus. */
@Injectable()
export class PhotosService {
  constructor(
    private readonly eventBus: EventBusService,
    private readonly owners: PhotoOwners,
  ) {}

  async create(input: CreatePhotoDto): Promise<{ photoId: string; event: PublishResult }> {
    const photoId = randomUUID();
    // Known here at once; other instances learn it from the event.
    this.owners.record(photoId, input.userId);
    const event = await this.eventBus.publish('photo.uploaded', {
      photoId,
      userId: input.userId,
      filename: input.filename,
      size: input.size,
      mimeType: input.mimeType,
      uploadedAt: new Date().toISOString(),
    });
    return { photoId, event };
  }
}
