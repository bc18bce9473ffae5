import { Injectable, Logger } from '@nestjs/common';
import type {
  ErrorInfo,
  PhotoMetadata,
  PhotoUploadedEvent,
  StorageInfo,
  ThumbnailInfo,
} from './photo.events.js';
import { randomBytes } from 'node:crypto';
import {
  mkdir,
  readdir,
  readFile,
  rename,
  rm,
  stat,
  writeFile,
} from 'node:fs/promises';
import { join, resolve } from 'node:path';

/** Photo ids are server-made UUIDs; nothing else ever reaches a path. */
const PHOTO_ID =
  /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const RECORD = 'photo.json';

/** The files of a photo in its folder, by role. */
export const PHOTO_FILES = {
  thumbnail: 'thumbnail.webp',
  display: 'display.webp',
} as const;

/** What the demo knows about a photo (what `photo.uploaded` said, and since): kept as `photo.json` in its folder. */
export interface PhotoRecord extends PhotoUploadedEvent {
  /** The uploaded file's name in the photo's folder; absent for photos registered by metadata only. */
  original?: string;
  status: 'uploaded' | 'processing' | 'completed' | 'failed';
  progress: number;
  stage?: string;
  jobId?: string;
  thumbnails?: ThumbnailInfo[];
  metadata?: PhotoMetadata;
  storageInfo?: StorageInfo;
  error?: ErrorInfo;
  /** Processing attempts started so far (for the failed event's `retryCount`). */
  attempts?: number;
  updatedAt: string;
}

/**
 * The demo's photo storage: one folder per photo under `DATA_DIR` (default
 * `./data/uploads`) with the upload, what the worker made of it, and a
 * `photo.json` record. Every instance must see the same folder (the worker
 * that processes an upload may run on another instance than the one that
 * received it): the same disk for `npm run demo:two`, a shared volume in
 * docker-compose. A real app would use object storage and a database.
 */
@Injectable()
export class PhotoStore {
  private readonly logger = new Logger(PhotoStore.name);
  readonly root = resolve(process.env.DATA_DIR ?? join('data', 'uploads'));

  static isPhotoId(value: string): boolean {
    return PHOTO_ID.test(value);
  }

  /** The folder of a photo. Throws for anything but a photo id. */
  dir(photoId: string): string {
    if (!PHOTO_ID.test(photoId))
      throw new Error(`not a photo id: ${JSON.stringify(photoId)}`);
    return join(this.root, photoId);
  }

  file(photoId: string, name: string): string {
    return join(this.dir(photoId), name);
  }

  /** Stores a new photo's record, and its file when there is one. */
  async create(
    record: PhotoRecord,
    original?: { name: string; bytes: Buffer },
  ): Promise<void> {
    const dir = this.dir(record.photoId);
    await mkdir(dir, { recursive: true });
    if (original)
      await this.writeAtomically(join(dir, original.name), original.bytes);
    await this.writeAtomically(
      join(dir, RECORD),
      JSON.stringify(record, null, 2),
    );
  }

  async get(photoId: string): Promise<PhotoRecord | undefined> {
    if (!PHOTO_ID.test(photoId)) return undefined;
    try {
      return JSON.parse(
        await readFile(join(this.root, photoId, RECORD), 'utf8'),
      ) as PhotoRecord;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
        this.logger.warn(
          `Could not read the record of photo ${photoId}: ${(error as Error).message}`,
        );
      return undefined;
    }
  }

  /** Merges `patch` into a photo's record (the worker is its only writer once it exists). */
  async update(
    photoId: string,
    patch: Partial<PhotoRecord>,
  ): Promise<PhotoRecord | undefined> {
    const current = await this.get(photoId);
    if (!current) return undefined;
    const next: PhotoRecord = {
      ...current,
      ...patch,
      photoId,
      userId: current.userId,
      updatedAt: new Date().toISOString(),
    };
    await this.writeAtomically(
      this.file(photoId, RECORD),
      JSON.stringify(next, null, 2),
    );
    return next;
  }

  async writeFile(photoId: string, name: string, bytes: Buffer): Promise<void> {
    await this.writeAtomically(this.file(photoId, name), bytes);
  }

  async exists(photoId: string, name: string): Promise<boolean> {
    return stat(this.file(photoId, name)).then(
      s => s.isFile(),
      () => false,
    );
  }

  /**
   * The user's photos, newest first. Scans the folder (the newest `scanLimit`
   * photos of everyone): fine for a demo, a database's job in a real app.
   */
  async listByUser(
    userId: string,
    limit = 50,
    scanLimit = 2000,
  ): Promise<PhotoRecord[]> {
    let names: string[];
    try {
      names = (await readdir(this.root)).filter(name => PHOTO_ID.test(name));
    } catch {
      return [];
    }
    const dated = await Promise.all(
      names.map(async name => ({
        name,
        mtime: await stat(join(this.root, name)).then(
          s => s.mtimeMs,
          () => 0,
        ),
      })),
    );
    dated.sort((a, b) => b.mtime - a.mtime);
    const records: PhotoRecord[] = [];
    for (const { name } of dated.slice(0, scanLimit)) {
      const record = await this.get(name);
      if (record?.userId === userId) records.push(record);
    }
    return records
      .sort((a, b) => b.uploadedAt.localeCompare(a.uploadedAt))
      .slice(0, limit);
  }

  /**
   * Removes a photo's folder; true for the one call that removed it. The
   * folder is renamed away first (atomic, also across instances on a shared
   * folder), so of two deletes at once only one wins: `photo.deleted` goes
   * out once.
   */
  async remove(photoId: string): Promise<boolean> {
    const dir = this.dir(photoId);
    // Not a photo id, so listings skip it while it is being removed.
    const doomed = `${dir}.deleted-${randomBytes(6).toString('hex')}`;
    try {
      await rename(dir, doomed);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw error;
    }
    await rm(doomed, { recursive: true, force: true });
    return true;
  }

  /** Readers never see half a file: write a temporary one, then rename it. */
  private async writeAtomically(
    path: string,
    content: Buffer | string,
  ): Promise<void> {
    const temporary = `${path}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      await writeFile(temporary, content);
      await rename(temporary, path);
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
  }
}
