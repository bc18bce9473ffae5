/**
 * The photo pipeline's events, as the product has promised them since its first
 * README. They are part of `EventMap`, so `publish('photo.uploaded', …)` type-checks.
 */

/** @publicApi */
export interface ThumbnailInfo {
  size: string;
  width: number;
  height: number;
  url: string;
}

/** @publicApi */
export interface PhotoMetadata {
  width?: number;
  height?: number;
  format?: string;
  [key: string]: unknown;
}

/** @publicApi */
export interface StorageInfo {
  location: string;
  bytes: number;
  [key: string]: unknown;
}

/** @publicApi */
export interface ErrorInfo {
  code: string;
  message: string;
  details?: unknown;
}

/** @publicApi */
export interface PhotoUploadedEvent {
  photoId: string;
  userId: string;
  filename: string;
  size: number;
  mimeType: string;
  uploadedAt: string;
}

/** @publicApi */
export interface PhotoProcessingStartedEvent {
  photoId: string;
  userId: string;
  jobId: string;
  startedAt: string;
  estimatedDuration?: number;
}

/** @publicApi */
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

/** @publicApi */
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

/** @publicApi */
export interface PhotoProcessingFailedEvent {
  photoId: string;
  userId: string;
  jobId: string;
  failedAt: string;
  error: ErrorInfo;
  retryable: boolean;
  retryCount?: number;
}

/** @publicApi */
export interface NotificationNewEvent {
  type: string;
  title: string;
  message: string;
  photoId?: string;
  link?: string;
  severity?: 'info' | 'warning' | 'error';
  timestamp: string;
}

/** @publicApi */
export interface PhotoEvents {
  'photo.uploaded': PhotoUploadedEvent;
  'photo.processing.started': PhotoProcessingStartedEvent;
  'photo.processing.progress': PhotoProcessingProgressEvent;
  'photo.processing.completed': PhotoProcessingCompletedEvent;
  'photo.processing.failed': PhotoProcessingFailedEvent;
  'notification.new': NotificationNewEvent;
}
