import { Injectable } from '@nestjs/common';
import { EventBusService, type PublishResult } from '@shared-infra/event-bus';
import { randomUUID } from 'node:crypto';
import type { CreatePhotoDto } from './dto/create-photo.dto.js';
import { EXTENSIONS, type ImageMimeType } from './image-type.js';
import { PhotoOwners } from './photo-owners.service.js';
import { PhotoStore, type PhotoRecord } from './photo-store.service.js';

/** What `POST /photos` answers. */
export interface CreatedPhoto {
  photoId: string;
  event: PublishResult;
  /** Where the photo's files will be once processed. */
  links: { self: string; thumbnail: string; image: string };
}

/** Accepts photos, stores them, and announces them on the bus. */
@Injectable()
export class PhotosService {
  constructor(
    private readonly eventBus: EventBusService,
    private readonly owners: PhotoOwners,
    private readonly store: PhotoStore,
  ) {}

  /** An uploaded image whose type was read from its content. */
  async upload(
    userId: string,
    file: { filename: string; bytes: Buffer; mimeType: ImageMimeType },
  ): Promise<CreatedPhoto> {
    const photoId = randomUUID();
    const original = `original.${EXTENSIONS[file.mimeType]}`;
    const record = this.newRecord(
      photoId,
      userId,
      file.filename,
      file.bytes.length,
      file.mimeType,
      original,
    );
    await this.store.create(record, { name: original, bytes: file.bytes });
    return this.announce(record);
  }

  /** A photo of `userId` registered by its metadata alone (the JSON form of `POST /photos`): nothing to decode. */
  async create(
    userId: string,
    input: Omit<CreatePhotoDto, 'userId'>,
  ): Promise<CreatedPhoto> {
    const record = this.newRecord(
      randomUUID(),
      userId,
      input.filename,
      input.size,
      input.mimeType,
    );
    await this.store.create(record);
    return this.announce(record);
  }

  async get(photoId: string): Promise<PhotoRecord | undefined> {
    return this.store.get(photoId);
  }

  list(userId: string, limit: number): Promise<PhotoRecord[]> {
    return this.store.listByUser(userId, limit);
  }

  private newRecord(
    photoId: string,
    userId: string,
    filename: string,
    size: number,
    mimeType: string,
    original?: string,
  ): PhotoRecord {
    const now = new Date().toISOString();
    return {
      photoId,
      userId,
      filename,
      size,
      mimeType,
      uploadedAt: now,
      ...(original ? { original } : {}),
      status: 'uploaded',
      progress: 0,
      updatedAt: now,
    };
  }

  private async announce(record: PhotoRecord): Promise<CreatedPhoto> {
    // Known here at once; other instances learn it from the event (or the store).
    this.owners.record(record.photoId, record.userId);
    let event: PublishResult;
    try {
      event = await this.eventBus.publish('photo.uploaded', {
        photoId: record.photoId,
        userId: record.userId,
        filename: record.filename,
        size: record.size,
        mimeType: record.mimeType,
        uploadedAt: record.uploadedAt,
      });
    } catch (error) {
      // Not announced, so not accepted: the client gets the error and may upload again.
      await this.store.remove(record.photoId).catch(() => undefined);
      throw error;
    }
    const self = `/photos/${record.photoId}`;
    return {
      photoId: record.photoId,
      event,
      links: { self, thumbnail: `${self}/thumbnail`, image: `${self}/image` },
    };
  }
}
