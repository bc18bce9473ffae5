import { Injectable, Logger } from '@nestjs/common';
import { EventBusService, OnEvent, type EventOf } from '@shared-infra/event-bus';
import { createHash, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

const STAGES = ['validation', 'resize', 'thumbnail', 'optimize'] as const;

/**
 * The worker: runs the processing stages of an uploaded photo and reports each
 * step on the bus, to the photo's room and to its owner. Durable: with several
 * instances each upload is processed once, and an upload survives a worker crash.
 */
@Injectable()
export class PhotoProcessingHandler {
  private readonly logger = new Logger(PhotoProcessingHandler.name);

  constructor(private readonly eventBus: EventBusService) {}

  @OnEvent('photo.uploaded', { durable: true, concurrency: 4, timeout: 60_000, retry: { maxRetries: 2 } })
  async process(event: EventOf<'photo.uploaded'>): Promise<void> {
    const { photoId, userId, filename, size, mimeType } = event.data;
    const jobId = randomUUID();
    const started = Date.now();
    const room = `photo:${photoId}`;
    this.logger.log(`Processing ${filename} (photo ${photoId}, event ${event.id}, trace ${event.metadata.traceId})`);
    await this.eventBus.publishToRoom(room, 'photo.processing.started', {
      photoId,
      userId,
      jobId,
      startedAt: new Date(started).toISOString(),
      estimatedDuration: STAGES.length * 200,
    });
    let digest = createHash('sha256').update(`${photoId}:${filename}:${size}`);
    for (const [index, stage] of STAGES.entries()) {
      // Stand-in work until the demo receives real files: hash rounds plus a short pause.
      digest = createHash('sha256').update(digest.digest());
      await sleep(150);
      await this.eventBus.publishToRoom(room, 'photo.processing.progress', {
        photoId,
        userId,
        jobId,
        progress: Math.round(((index + 1) / STAGES.length) * 100),
        stage,
      });
    }
    await this.eventBus.publishToRoom(room, 'photo.processing.completed', {
      photoId,
      userId,
      jobId,
      completedAt: new Date().toISOString(),
      duration: Date.now() - started,
      thumbnails: [{ size: 'small', width: 160, height: 120, url: `/photos/${photoId}/thumbnail-small` }],
      metadata: { format: mimeType.split('/')[1], checksum: digest.digest('hex') },
      storageInfo: { location: `memory://${photoId}`, bytes: size },
    });
  }
}
