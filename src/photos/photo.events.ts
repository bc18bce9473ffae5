/**
 * The demo's photo pipeline events, in the seeds' payload shapes. The demo adds them to the
 * library's `EventMap` (end of this file), so `publish('photo.uploaded', …)` type-checks.
 */

export interface ThumbnailInfo {
  size: string;
  width: number;
  height: number;
  url: string;
}

export interface PhotoMetadata {
  width?: number;
  height?: number;
  format?: string;
  [key: string]: unknown;
}

export interface StorageInfo {
  location: string;
  bytes: number;
  [key: string]: unknown;
}

export interface ErrorInfo {
  code: string;
  message: string;
  details?: unknown;
}

export interface PhotoUploadedEvent {
  photoId: string;
  userId: string;
  filename: string;
  size: number;
  mimeType: string;
  uploadedAt: string;
}

export interface PhotoProcessingStartedEvent {
  photoId: string;
  userId: string;
  jobId: string;
  startedAt: string;
  estimatedDuration?: number;
}

export interface PhotoProcessingProgressEvent {
  photoId: string;
  userId: string;
  jobId: string;
  /** 0 to 100. */
  progress: number;
  stage: string;
  currentStep?: string;
  estimatedCompletion?: string;
}

export interface PhotoProcessingCompletedEvent {
  photoId: string;
  userId: string;
  jobId: string;
  completedAt: string;
  duration: number;
  thumbnails: ThumbnailInfo[];
  metadata: PhotoMetadata;
  storageInfo: StorageInfo;
}

export interface PhotoProcessingFailedEvent {
  photoId: string;
  userId: string;
  jobId: string;
  failedAt: string;
  error: ErrorInfo;
  retryable: boolean;
  /** Attempts before this one (0 on the first; the bus retries a retryable failure up to twice). */
  retryCount?: number;
}

/** Seed 003's: an upload refused after it was accepted (the store could not write it, or the image does not decode). */
export interface PhotoUploadFailedEvent {
  /** Absent when the photo never got an id. */
  photoId?: string;
  userId: string;
  filename: string;
  /** What went wrong, for the user. */
  error: string;
  failedAt: string;
}

/** Seed 003's: a photo was deleted (`DELETE /photos/:id`). */
export interface PhotoDeletedEvent {
  photoId: string;
  userId: string;
  deletedAt: string;
}

export interface NotificationNewEvent {
  type: string;
  title: string;
  message: string;
  photoId?: string;
  link?: string;
  severity?: 'info' | 'warning' | 'error';
  timestamp: string;
}

/** The demo's events: the bus type-checks them through `EventMap`, augmented below. */
export interface PhotoEvents {
  'photo.uploaded': PhotoUploadedEvent;
  'photo.processing.started': PhotoProcessingStartedEvent;
  'photo.processing.progress': PhotoProcessingProgressEvent;
  'photo.processing.completed': PhotoProcessingCompletedEvent;
  'photo.processing.failed': PhotoProcessingFailedEvent;
  'photo.upload.failed': PhotoUploadFailedEvent;
  'photo.deleted': PhotoDeletedEvent;
  'notification.new': NotificationNewEvent;
}

// Declaration merging, as any app types its events: publish(), @OnEvent and the client SDK
// check these types' data from here on.
declare module '@shared-infra/event-bus' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface EventMap extends PhotoEvents {}
}
