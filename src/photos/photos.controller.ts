import {
  BadRequestException,
  Body,
  Controller,
  DefaultValuePipe,
  ForbiddenException,
  Get,
  Headers,
  HttpCode,
  NotFoundException,
  Param,
  ParseIntPipe,
  Post,
  Query,
  StreamableFile,
  UnsupportedMediaTypeException,
  UploadedFile,
  UseInterceptors,
  ValidationPipe,
} from '@nestjs/common';
import { FileInterceptor } from '@nestjs/platform-express';
import { createReadStream } from 'node:fs';
import { basename } from 'node:path';
import { BearerAuth } from '../auth/bearer-auth.service.js';
import { CreatePhotoDto } from './dto/create-photo.dto.js';
import { describeContent, EXTENSIONS, sniffImageType } from './image-type.js';
import { PHOTO_FILES, PhotoStore, type PhotoRecord } from './photo-store.service.js';
import { PhotosService, type CreatedPhoto } from './photos.service.js';
import { MAX_UPLOAD_BYTES, UploadErrorsInterceptor } from './upload-errors.interceptor.js';

/** The part of multer's file the controller reads (memory storage). */
interface UploadedPhotoFile {
  fieldname: string;
  originalname: string;
  mimetype: string;
  size: number;
  buffer: Buffer;
}

type RequestHeaders = Record<string, string | string[] | undefined>;

const jsonValidation = new ValidationPipe({ whitelist: true, transform: true });

@Controller('photos')
export class PhotosController {
  constructor(
    private readonly photos: PhotosService,
    private readonly store: PhotoStore,
    private readonly auth: BearerAuth,
  ) {}

  /**
   * Uploads a photo: multipart/form-data with the image in the field `photo`,
   * and `Authorization: Bearer <token from POST /auth/token>` naming the user.
   * The type is read from the file's content (JPEG, PNG, WebP or GIF); at most
   * MAX_UPLOAD_MB (10 MB). Answers 202 at once: processing is reported by events.
   *
   * The JSON form `{ userId, filename, size, mimeType }` registers a photo by
   * its metadata alone (no file, no token: a demo shortcut); its stages have no
   * pixels to work on.
   */
  @Post()
  @HttpCode(202)
  @UseInterceptors(
    UploadErrorsInterceptor,
    FileInterceptor('photo', { limits: { fileSize: MAX_UPLOAD_BYTES, files: 1, fields: 4, parts: 6 }, defParamCharset: 'utf8' }),
  )
  async create(@Headers() headers: RequestHeaders, @UploadedFile() file: UploadedPhotoFile | undefined, @Body() body: Record<string, unknown> | undefined): Promise<CreatedPhoto> {
    const contentType = String(headers['content-type'] ?? '').toLowerCase();
    if (contentType.startsWith('multipart/form-data')) return this.upload(headers, file, body ?? {});
    if (contentType.startsWith('application/json')) {
      const dto = (await jsonValidation.transform(body ?? {}, { type: 'body', metatype: CreatePhotoDto })) as CreatePhotoDto;
      return this.photos.create(dto);
    }
    throw new UnsupportedMediaTypeException(
      'POST /photos takes multipart/form-data with the image in the field "photo" (and a bearer token), or JSON metadata { userId, filename, size, mimeType }.',
    );
  }

  /** The signed-in user's photos, newest first, with their processing status. */
  @Get()
  async list(@Headers() headers: RequestHeaders, @Query('limit', new DefaultValuePipe(50), ParseIntPipe) limit: number): Promise<{ photos: PhotoRecord[] }> {
    const { userId } = this.auth.userFrom(headers);
    return { photos: await this.photos.list(userId, Math.min(Math.max(limit, 1), 200)) };
  }

  /** One photo of the signed-in user, with its processing status. */
  @Get(':id')
  async get(@Headers() headers: RequestHeaders, @Param('id') photoId: string): Promise<PhotoRecord> {
    const { userId } = this.auth.userFrom(headers);
    const record = await this.photos.get(photoId);
    // Unknown and not yours look the same, so ids cannot be probed.
    if (!record || record.userId !== userId) throw new NotFoundException(`No photo ${photoId} of yours.`);
    return record;
  }

  /**
   * The 160 px thumbnail (WebP), once the worker made it. Like an unlisted
   * link, anyone who has the photo's id (a random UUID) may fetch it: an
   * <img> tag sends no bearer token.
   */
  @Get(':id/thumbnail')
  thumbnail(@Param('id') photoId: string): Promise<StreamableFile> {
    return this.sendFile(photoId, PHOTO_FILES.thumbnail, 'thumbnail');
  }

  /** The display version (WebP, at most 1600 px), as the thumbnail. */
  @Get(':id/image')
  image(@Param('id') photoId: string): Promise<StreamableFile> {
    return this.sendFile(photoId, PHOTO_FILES.display, 'image');
  }

  private async upload(headers: RequestHeaders, file: UploadedPhotoFile | undefined, body: Record<string, unknown>): Promise<CreatedPhoto> {
    const { userId } = this.auth.userFrom(headers);
    if (body.userId !== undefined && body.userId !== userId) {
      throw new ForbiddenException(`The form's userId (${String(body.userId)}) is not the token's user (${userId}): leave userId out, the token names the user.`);
    }
    if (!file) throw new BadRequestException('No file in the field "photo": send multipart/form-data with the image in a field named "photo".');
    if (file.size === 0) throw new BadRequestException('The file is empty: pick a JPEG, PNG, WebP or GIF image.');
    const mimeType = sniffImageType(file.buffer);
    if (!mimeType) {
      throw new UnsupportedMediaTypeException(
        `"${cleanName(file.originalname)}" is ${describeContent(file.buffer)}, not a JPEG, PNG, WebP or GIF image (the type is read from the content, not the name): convert it to one of those and upload it again.`,
      );
    }
    return this.photos.upload(userId, { filename: cleanName(file.originalname, EXTENSIONS[mimeType]), bytes: file.buffer, mimeType });
  }

  private async sendFile(photoId: string, name: string, what: string): Promise<StreamableFile> {
    if (!PhotoStore.isPhotoId(photoId) || !(await this.store.exists(photoId, name))) {
      throw new NotFoundException(`No ${what} for photo ${photoId} (yet: it exists once processing has completed).`);
    }
    return new StreamableFile(createReadStream(this.store.file(photoId, name)), {
      type: 'image/webp',
      disposition: 'inline',
    });
  }
}

/** The client's file name, for display only (files are stored under fixed names): no path, no control characters. */
function cleanName(name: string, extension = 'jpg'): string {
  // eslint-disable-next-line no-control-regex
  const cleaned = basename(name.replace(/\\/g, '/')).replace(/[\u0000-\u001f\u007f]/g, '').trim().slice(0, 200);
  return cleaned || `photo.${extension}`;
}

