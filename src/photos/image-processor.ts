import { createHash } from 'node:crypto';
import sharp, { type Metadata, type Sharp, type SharpOptions } from 'sharp';

/** The longest side of the display version. */
export const DISPLAY_MAX = 1600;
/** The thumbnail's side (square, cropped to the most interesting part). */
export const THUMBNAIL_SIZE = 160;
/** Larger images are refused before they are decoded (decompression bombs). */
export const MAX_PIXELS = 40_000_000;

// A long-running server: no libvips cache of decoded images between jobs.
sharp.cache(false);

/** A problem with the image itself: retrying will not help. */
export class InvalidImageError extends Error {
  constructor(
    message: string,
    readonly code: 'INVALID_IMAGE' | 'UNSUPPORTED_IMAGE' | 'IMAGE_TOO_LARGE',
  ) {
    super(message);
    this.name = 'InvalidImageError';
  }
}

export interface ValidatedImage {
  width: number;
  height: number;
  format: string;
  hasAlpha: boolean;
  orientation?: number;
  dominantColor: string;
  checksum: string;
}

export interface ResizedImage {
  pixels: Buffer;
  info: { width: number; height: number; channels: 1 | 2 | 3 | 4 };
}

export interface EncodedImage {
  bytes: Buffer;
  width: number;
  height: number;
}

const SHARP_FORMATS: Record<string, string> = {
  'image/jpeg': 'jpeg',
  'image/png': 'png',
  'image/gif': 'gif',
  'image/webp': 'webp',
};

/**
 * The photo pipeline's real work, with sharp (libvips). Each step is one stage
 * of `photo.processing.progress`.
 */
export class ImageProcessor {
  private readonly options: SharpOptions = {
    failOn: 'warning',
    limitInputPixels: MAX_PIXELS,
    sequentialRead: true,
  };

  constructor(private readonly original: Buffer) {}

  /**
   * validation: reads the header (type, size), then decodes every pixel, so a
   * truncated or corrupt file fails here, not in a browser later.
   */
  async validate(expectedMimeType: string): Promise<ValidatedImage> {
    let metadata: Metadata;
    try {
      metadata = await sharp(this.original, this.options).metadata();
    } catch (error) {
      throw this.invalid(error);
    }
    const expected = SHARP_FORMATS[expectedMimeType];
    if (!metadata.format || metadata.format !== expected) {
      throw new InvalidImageError(
        `The file is not a ${expected?.toUpperCase() ?? expectedMimeType} image (it decodes as ${metadata.format ?? 'nothing known'}).`,
        'UNSUPPORTED_IMAGE',
      );
    }
    if (!metadata.width || !metadata.height)
      throw new InvalidImageError('The image has no size.', 'INVALID_IMAGE');
    if (metadata.width * metadata.height > MAX_PIXELS) {
      throw new InvalidImageError(
        `The image is ${metadata.width}×${metadata.height} pixels; at most ${MAX_PIXELS / 1e6} megapixels are accepted.`,
        'IMAGE_TOO_LARGE',
      );
    }
    let dominant: { r: number; g: number; b: number };
    try {
      // stats() decodes the whole image.
      dominant = (await this.pipeline().stats()).dominant;
    } catch (error) {
      throw this.invalid(error);
    }
    const hex = (n: number) => n.toString(16).padStart(2, '0');
    return {
      width: metadata.autoOrient?.width ?? metadata.width,
      height: metadata.autoOrient?.height ?? metadata.height,
      format: metadata.format,
      hasAlpha: metadata.hasAlpha ?? false,
      ...(metadata.orientation ? { orientation: metadata.orientation } : {}),
      dominantColor: `#${hex(dominant.r)}${hex(dominant.g)}${hex(dominant.b)}`,
      checksum: createHash('sha256').update(this.original).digest('hex'),
    };
  }

  /** resize: upright (EXIF orientation applied), at most DISPLAY_MAX on its longest side, as raw pixels for the next stages. */
  async resize(): Promise<ResizedImage> {
    try {
      const { data, info } = await this.pipeline()
        .resize({
          width: DISPLAY_MAX,
          height: DISPLAY_MAX,
          fit: 'inside',
          withoutEnlargement: true,
        })
        .raw()
        .toBuffer({ resolveWithObject: true });
      return {
        pixels: data,
        info: {
          width: info.width,
          height: info.height,
          channels: info.channels,
        },
      };
    } catch (error) {
      throw this.invalid(error);
    }
  }

  /** thumbnail: a THUMBNAIL_SIZE square WebP, cropped around the most salient part. */
  static async thumbnail(resized: ResizedImage): Promise<EncodedImage> {
    const { data, info } = await sharp(resized.pixels, { raw: resized.info })
      .resize(THUMBNAIL_SIZE, THUMBNAIL_SIZE, {
        fit: 'cover',
        position: sharp.strategy.attention,
      })
      .webp({ quality: 75 })
      .toBuffer({ resolveWithObject: true });
    return { bytes: data, width: info.width, height: info.height };
  }

  /** optimize: the display version as WebP (quality 80), without metadata. */
  static async optimize(resized: ResizedImage): Promise<EncodedImage> {
    const { data, info } = await sharp(resized.pixels, { raw: resized.info })
      .webp({ quality: 80, effort: 4 })
      .toBuffer({ resolveWithObject: true });
    return { bytes: data, width: info.width, height: info.height };
  }

  private pipeline(): Sharp {
    return sharp(this.original, this.options).rotate();
  }

  private invalid(error: unknown): InvalidImageError {
    const message = (error as Error).message?.split('\n')[0] ?? String(error);
    if (/pixel limit/i.test(message))
      return new InvalidImageError(
        `The image is larger than ${MAX_PIXELS / 1e6} megapixels.`,
        'IMAGE_TOO_LARGE',
      );
    return new InvalidImageError(
      `The image could not be decoded: ${message}`,
      'INVALID_IMAGE',
    );
  }
}
