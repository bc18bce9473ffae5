import { Injectable, ServiceUnavailableException } from '@nestjs/common';
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

/** What `DELETE /photos/:id` answers (the data of `photo.deleted`). */
export interface DeletedPhoto {
  photoId: string;
  userId: string;
  deletedAt: string;
}

/** Accepts photos, stores them, announces them on the bus, and deletes them. */
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
    try {
      await this.store.create(record, { name: original, bytes: file.bytes });
    } catch (error) {
      // The upload was received but cannot be kept: the owner's other devices hear it too.
      const reason = (error as Error).message;
      await this.uploadFailed(
        record,
        `The photo could not be stored: ${reason}`,
      );
      await this.store.remove(photoId).catch(() => undefined);
      throw new ServiceUnavailableException(
        `"${record.filename}" could not be stored (${reason}); nothing was kept: upload it again later.`,
      );
    }
    return this.announce(record);
  }

  /**
   * Seed 003's `photo.upload.failed`, to every device of the owner: an upload
   * this instance accepted but could not keep (the store's write failed), or
   * whose image turned out not to decode (the worker, after the 202).
   * Best effort: the HTTP answer or the `photo.processing.failed` says it too.
   */
  async uploadFailed(
    record: Pick<PhotoRecord, 'photoId' | 'userId' | 'filename'>,
    error: string,
  ): Promise<void> {
    await this.eventBus
      .publishToUser(record.userId, 'photo.upload.failed', {
        photoId: record.photoId,
        userId: record.userId,
        filename: record.filename,
        error,
        failedAt: new Date().toISOString(),
      })
      .catch(() => undefined);
  }

  /**
   * Deletes a photo of `userId` (its folder: upload, derived files, record)
   * and publishes `photo.deleted` to the photo's room and to the owner's
   * devices. Undefined when there is no such photo of theirs (unknown and not
   * yours look the same).
   */
  async delete(
    userId: string,
    photoId: string,
  ): Promise<DeletedPhoto | undefined> {
    const record = await this.store.get(photoId);
    if (!record || record.userId !== userId) return undefined;
    // A delete that lost the race to another (on any instance) finds nothing, as a later one would.
    if (!(await this.store.remove(photoId))) return undefined;
    this.owners.forget(photoId);
    const deleted: DeletedPhoto = {
      photoId,
      userId,
      deletedAt: new Date().toISOString(),
    };
    // Two events, as the worker's: whoever watches the photo, and every device of its owner.
    await this.eventBus.publishToRoom(
      `photo:${photoId}`,
      'photo.deleted',
      deleted,
    );
    await this.eventBus.publishToUser(userId, 'photo.deleted', deleted);
    return deleted;
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
      // To the owner's room: their sockets get it (seed 003), and the bus' handlers (the worker) as any event.
      event = await this.eventBus.publishToUser(
        record.userId,
        'photo.uploaded',
        {
          photoId: record.photoId,
          userId: record.userId,
          filename: record.filename,
          size: record.size,
          mimeType: record.mimeType,
          uploadedAt: record.uploadedAt,
        },
      );
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
