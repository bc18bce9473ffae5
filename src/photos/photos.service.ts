import { Injectable } from '@nestjs/common';
import { EventBusService, type PublishResult } from '@shared-infra/event-bus';
import { randomUUID } from 'node:crypto';
import type { CreatePhotoDto } from './dto/create-photo.dto.js';

/** Accepts photos and announces them on the bus. */
@Injectable()
export class PhotosService {
  constructor(private readonly eventBus: EventBusService) {}

  async create(input: CreatePhotoDto): Promise<{ photoId: string; event: PublishResult }> {
    const photoId = randomUUID();
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
