import { Injectable, Logger } from '@nestjs/common';
import {
  EventBusService,
  OnEvent,
  type EventData,
  type EventOf,
} from '@shared-infra/event-bus';
import type {
  PhotoMetadata,
  StorageInfo,
  ThumbnailInfo,
} from './photo.events.js';
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  ImageProcessor,
  InvalidImageError,
  type ResizedImage,
  type ValidatedImage,
} from './image-processor.js';
import { LocalJobs } from './local-jobs.service.js';
import { PhotosService } from './photos.service.js';
import {
  PHOTO_FILES,
  PhotoStore,
  type PhotoRecord,
} from './photo-store.service.js';

const STAGES = ['validation', 'resize', 'thumbnail', 'optimize'] as const;
type Stage = (typeof STAGES)[number];

/**
 * Each stage takes at least this long (PHOTO_STAGE_MIN_MS, default 250 ms), so
 * that a person watching the demo page sees the bars move: small images are
 * processed in a few milliseconds. 0 turns it off.
 */
function stageMinMs(): number {
  const value = Number(process.env.PHOTO_STAGE_MIN_MS ?? 250);
  return Number.isFinite(value) && value >= 0 ? value : 250;
}

type Outcome = Pick<
  EventData<'photo.processing.completed'>,
  'thumbnails' | 'metadata' | 'storageInfo'
>;

/**
 * The worker: validates, resizes, thumbnails and optimizes an uploaded photo
 * with sharp, and reports each step on the bus, to the photo's room
 * (`photo:{id}`) and to its owner's (`user:{userId}`, every device of theirs).
 * Durable: with several instances each upload is processed once, and an upload
 * survives a worker crash.
 */
@Injectable()
export class PhotoProcessingHandler {
  private readonly logger = new Logger(PhotoProcessingHandler.name);

  constructor(
    private readonly eventBus: EventBusService,
    private readonly store: PhotoStore,
    private readonly jobs: LocalJobs,
    private readonly photos: PhotosService,
  ) {}

  @OnEvent('photo.uploaded', {
    durable: true,
    concurrency: 2,
    timeout: 60_000,
    retry: { maxRetries: 2 },
  })
  async process(event: EventOf<'photo.uploaded'>): Promise<void> {
    const { photoId, userId, filename, mimeType } = event.data;
    const jobId = randomUUID();
    this.jobs.add(jobId);
    const started = Date.now();
    const minMs = stageMinMs();
    const emit = async <K extends string>(type: K, data: EventData<K>) => {
      // Two events (two ids): one for whoever watches the photo, one for every device of its owner.
      await this.eventBus.publishToRoom(`photo:${photoId}`, type, data);
      await this.eventBus.publishToUser(userId, type, data);
    };
    // Counted in the shared record, so that a retry on another instance (durable redelivery) counts too.
    const retryCount = (await this.store.get(photoId))?.attempts ?? 0;
    this.logger.log(
      `Processing ${filename} (photo ${photoId}, job ${jobId}, event ${event.id}, trace ${event.metadata.traceId}${retryCount > 0 ? `, retry ${retryCount}` : ''})`,
    );
    await emit('photo.processing.started', {
      photoId,
      userId,
      jobId,
      startedAt: new Date(started).toISOString(),
      estimatedDuration: STAGES.length * Math.max(minMs, 100),
    });
    await this.store.update(photoId, {
      status: 'processing',
      progress: 0,
      jobId,
      attempts: retryCount + 1,
    });

    let stage: Stage = STAGES[0];
    /** The record was there when the job began: its disappearance later is a DELETE. */
    let found = false;
    try {
      const record = await this.store.get(photoId);
      if (!record) {
        throw new InvalidPhotoError(
          'FILE_MISSING',
          `Photo ${photoId} is not in this instance's DATA_DIR (${this.store.root}): every instance must share the same DATA_DIR.`,
        );
      }
      found = true;
      const steps = record.original
        ? this.imageSteps(record)
        : metadataOnlySteps(record);
      let outcome: Outcome | undefined;
      for (const [index, name] of STAGES.entries()) {
        stage = name;
        const stageStarted = Date.now();
        const result = await steps[name]();
        if (result.outcome) outcome = result.outcome;
        const wait = minMs - (Date.now() - stageStarted);
        if (wait > 0) await sleep(wait);
        const progress = Math.round(((index + 1) / STAGES.length) * 100);
        if (!(await this.store.update(photoId, { progress, stage: name })))
          throw new PhotoDeletedError();
        await emit('photo.processing.progress', {
          photoId,
          userId,
          jobId,
          progress,
          stage: name,
          currentStep: result.step,
          ...(index + 1 < STAGES.length
            ? {
                estimatedCompletion: new Date(
                  Date.now() +
                    (STAGES.length - index - 1) * Math.max(minMs, 100),
                ).toISOString(),
              }
            : {}),
        });
      }
      const completed = {
        photoId,
        userId,
        jobId,
        completedAt: new Date().toISOString(),
        duration: Date.now() - started,
        ...outcome!,
      };
      const stored = await this.store.update(photoId, {
        status: 'completed',
        progress: 100,
        thumbnails: completed.thumbnails,
        metadata: completed.metadata,
        storageInfo: completed.storageInfo,
      });
      if (!stored) throw new PhotoDeletedError();
      await emit('photo.processing.completed', completed);
      this.logger.log(
        `Processed ${filename} (photo ${photoId}) in ${completed.duration} ms`,
      );
    } catch (error) {
      // Deleted while processing (DELETE /photos/:id): photo.deleted said the last word; no failure, no retry.
      if (
        error instanceof PhotoDeletedError ||
        (found && !(await this.store.get(photoId)))
      ) {
        this.logger.log(
          `Photo ${photoId} was deleted at ${stage}; processing stopped.`,
        );
        return;
      }
      const permanent =
        error instanceof InvalidImageError ||
        error instanceof InvalidPhotoError;
      const info = {
        code: permanent ? error.code : 'PROCESSING_ERROR',
        message: (error as Error).message,
        details: { stage, filename, mimeType },
      };
      this.logger.warn(
        `Photo ${photoId} failed at ${stage}: ${info.message}${permanent ? '' : ' (will be retried)'}`,
      );
      await this.store
        .update(photoId, { status: 'failed', stage, error: info })
        .catch(() => undefined);
      await emit('photo.processing.failed', {
        photoId,
        userId,
        jobId,
        failedAt: new Date().toISOString(),
        error: info,
        retryable: !permanent,
        retryCount,
      });
      // An image that does not decode: the upload accepted with a 202 turns out unusable (seed 003).
      if (error instanceof InvalidImageError)
        await this.photos.uploadFailed(
          { photoId, userId, filename },
          info.message,
        );
      // A broken image is final (acked); anything else goes back to the bus for a retry.
      if (!permanent) throw error;
    }
  }

  /** The four stages of an uploaded image. */
  private imageSteps(
    record: PhotoRecord,
  ): Record<Stage, () => Promise<StepResult>> {
    let processor: ImageProcessor;
    let validated: ValidatedImage;
    let resized: ResizedImage;
    const thumbnails: ThumbnailInfo[] = [];
    const storage = { original: record.size, thumbnail: 0, display: 0 };
    const { photoId } = record;
    return {
      validation: async () => {
        let original: Buffer;
        try {
          original = await readFile(this.store.file(photoId, record.original!));
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
          throw new InvalidPhotoError(
            'FILE_MISSING',
            `The upload of photo ${photoId} is not in DATA_DIR (${this.store.root}): every instance must share the same DATA_DIR.`,
          );
        }
        processor = new ImageProcessor(original);
        validated = await processor.validate(record.mimeType);
        return {
          step: `decoded ${validated.width}×${validated.height} ${validated.format.toUpperCase()}`,
        };
      },
      resize: async () => {
        resized = await processor.resize();
        const { width, height } = resized.info;
        return {
          step:
            width === validated.width && height === validated.height
              ? `kept ${width}×${height}`
              : `resized to ${width}×${height}`,
        };
      },
      thumbnail: async () => {
        const thumbnail = await ImageProcessor.thumbnail(resized);
        await this.store.writeFile(
          photoId,
          PHOTO_FILES.thumbnail,
          thumbnail.bytes,
        );
        storage.thumbnail = thumbnail.bytes.length;
        thumbnails.push({
          size: 'small',
          width: thumbnail.width,
          height: thumbnail.height,
          url: `/photos/${photoId}/thumbnail`,
        });
        return {
          step: `${thumbnail.width}×${thumbnail.height} WebP, ${formatBytes(thumbnail.bytes.length)}`,
        };
      },
      optimize: async () => {
        const display = await ImageProcessor.optimize(resized);
        await this.store.writeFile(photoId, PHOTO_FILES.display, display.bytes);
        storage.display = display.bytes.length;
        thumbnails.push({
          size: 'large',
          width: display.width,
          height: display.height,
          url: `/photos/${photoId}/image`,
        });
        const metadata: PhotoMetadata = { ...validated };
        const storageInfo: StorageInfo = {
          location: `uploads/${photoId}`,
          bytes: storage.original + storage.thumbnail + storage.display,
          originalBytes: storage.original,
          displayBytes: storage.display,
          thumbnailBytes: storage.thumbnail,
        };
        return {
          step: `WebP ${display.width}×${display.height}, ${formatBytes(display.bytes.length)} (original ${formatBytes(storage.original)})`,
          outcome: { thumbnails, metadata, storageInfo },
        };
      },
    };
  }
}

interface StepResult {
  step: string;
  outcome?: Outcome;
}

/** The photo's record went away during processing: it was deleted. */
class PhotoDeletedError extends Error {}

/** A photo that cannot be processed as it is: retrying will not help. */
class InvalidPhotoError extends Error {
  constructor(
    readonly code: 'FILE_MISSING',
    message: string,
  ) {
    super(message);
  }
}

/**
 * Photos registered with `POST /photos` as JSON carry metadata only: the
 * stages check it and have no pixels to work on.
 */
function metadataOnlySteps(
  record: PhotoRecord,
): Record<Stage, () => Promise<StepResult>> {
  const skipped = async (): Promise<StepResult> => ({
    step: 'skipped: registered without a file',
  });
  return {
    validation: async () => ({
      step: `metadata only: ${record.mimeType}, ${formatBytes(record.size)}`,
    }),
    resize: skipped,
    thumbnail: skipped,
    optimize: async () => ({
      step: 'skipped: registered without a file',
      outcome: {
        thumbnails: [],
        metadata: { format: record.mimeType.split('/')[1], metadataOnly: true },
        storageInfo: { location: 'none', bytes: 0 },
      },
    }),
  };
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
