import {
  BadRequestException,
  Body,
  Controller,
  DefaultValuePipe,
  Delete,
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
  UseGuards,
  UseInterceptors,
  ValidationPipe,
} from '@nestjs/common';
import { FileInterceptor } from '@nestjs/platform-express';
import { createReadStream } from 'node:fs';
import { basename } from 'node:path';
import { BearerAuthGuard, type DemoUser } from '../auth/bearer-auth.guard.js';
import { CurrentUser } from '../auth/current-user.decorator.js';
import { CreatePhotoDto } from './dto/create-photo.dto.js';
import { describeContent, EXTENSIONS, sniffImageType } from './image-type.js';
import {
  PHOTO_FILES,
  PhotoStore,
  type PhotoRecord,
} from './photo-store.service.js';
import {
  PhotosService,
  type CreatedPhoto,
  type DeletedPhoto,
} from './photos.service.js';
import {
  MAX_UPLOAD_BYTES,
  UploadErrorsInterceptor,
} from './upload-errors.interceptor.js';

/** The part of multer's file the controller reads (memory storage). */
interface UploadedPhotoFile {
  fieldname: string;
  originalname: string;
  mimetype: string;
  size: number;
  buffer: Buffer;
}

const jsonValidation = new ValidationPipe({ whitelist: true, transform: true });

@Controller('photos')
export class PhotosController {
  constructor(
    private readonly photos: PhotosService,
    private readonly store: PhotoStore,
  ) {}

  /**
   * Uploads a photo for the token's user: multipart/form-data with the image
   * in the field `photo`. The type is read from the file's content (JPEG, PNG,
   * WebP or GIF); at most MAX_UPLOAD_MB (10 MB). Answers 202 at once:
   * processing is reported by events.
   *
   * The JSON form `{ filename, size, mimeType }` registers a photo by its
   * metadata alone (a demo shortcut: its stages have no pixels to work on).
   * Both forms need `Authorization: Bearer <token from POST /auth/token>`; the
   * photo is the token's user's, and a `userId` field naming anyone else is a 403.
   */
  @Post()
  @HttpCode(202)
  // NOTE: the guard runs before the interceptors, so multer reads no upload of an unknown caller.
  @UseGuards(BearerAuthGuard)
  @UseInterceptors(
    UploadErrorsInterceptor,
    FileInterceptor('photo', {
      limits: { fileSize: MAX_UPLOAD_BYTES, files: 1, fields: 4, parts: 6 },
      defParamCharset: 'utf8',
    }),
  )
  async create(
    @CurrentUser() user: DemoUser,
    @Headers('content-type') contentType: string | undefined,
    @UploadedFile() file: UploadedPhotoFile | undefined,
    @Body() body: Record<string, unknown> | undefined,
  ): Promise<CreatedPhoto> {
    const type = (contentType ?? '').toLowerCase();
    if (
      !type.startsWith('multipart/form-data') &&
      !type.startsWith('application/json')
    ) {
      throw new UnsupportedMediaTypeException(
        'POST /photos takes multipart/form-data with the image in the field "photo", or JSON metadata { filename, size, mimeType }, with a bearer token either way.',
      );
    }
    assertOwnUser(user, body?.userId);
    if (type.startsWith('multipart/form-data'))
      return this.upload(user.userId, file);
    const dto = (await jsonValidation.transform(body ?? {}, {
      type: 'body',
      metatype: CreatePhotoDto,
    })) as CreatePhotoDto;
    return this.photos.create(user.userId, dto);
  }

  /** The signed-in user's photos, newest first, with their processing status. */
  @Get()
  @UseGuards(BearerAuthGuard)
  async list(
    @CurrentUser() { userId }: DemoUser,
    @Query('limit', new DefaultValuePipe(50), ParseIntPipe) limit: number,
  ): Promise<{ photos: PhotoRecord[] }> {
    return {
      photos: await this.photos.list(userId, Math.min(Math.max(limit, 1), 200)),
    };
  }

  /** One photo of the signed-in user, with its processing status. */
  @Get(':id')
  @UseGuards(BearerAuthGuard)
  async get(
    @CurrentUser() { userId }: DemoUser,
    @Param('id') photoId: string,
  ): Promise<PhotoRecord> {
    const record = await this.photos.get(photoId);
    // Unknown and not yours look the same, so ids cannot be probed.
    if (!record || record.userId !== userId)
      throw new NotFoundException(`No photo ${photoId} of yours.`);
    return record;
  }

  /**
   * Deletes one photo of the signed-in user (upload and derived files) and
   * publishes `photo.deleted` { photoId, userId, deletedAt } to the photo's
   * room and to the owner's devices. 404 for a photo that is not theirs.
   */
  @Delete(':id')
  @UseGuards(BearerAuthGuard)
  async remove(
    @CurrentUser() { userId }: DemoUser,
    @Param('id') photoId: string,
  ): Promise<DeletedPhoto> {
    const deleted = await this.photos.delete(userId, photoId);
    if (!deleted) throw new NotFoundException(`No photo ${photoId} of yours.`);
    return deleted;
  }

  /**
   * The 160 px thumbnail (WebP), once the worker made it. Like an unlisted
   * link, anyone who has the photo's id (a random UUID) may fetch it: an
   * <img> tag sends no bearer token. Deliberately unguarded.
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

  private async upload(
    userId: string,
    file: UploadedPhotoFile | undefined,
  ): Promise<CreatedPhoto> {
    if (!file)
      throw new BadRequestException(
        'No file in the field "photo": send multipart/form-data with the image in a field named "photo".',
      );
    if (file.size === 0)
      throw new BadRequestException(
        'The file is empty: pick a JPEG, PNG, WebP or GIF image.',
      );
    const mimeType = sniffImageType(file.buffer);
    if (!mimeType) {
      throw new UnsupportedMediaTypeException(
        `"${cleanName(file.originalname)}" is ${describeContent(file.buffer)}, not a JPEG, PNG, WebP or GIF image (the type is read from the content, not the name): convert it to one of those and upload it again.`,
      );
    }
    return this.photos.upload(userId, {
      filename: cleanName(file.originalname, EXTENSIONS[mimeType]),
      bytes: file.buffer,
      mimeType,
    });
  }

  private async sendFile(
    photoId: string,
    name: string,
    what: string,
  ): Promise<StreamableFile> {
    if (
      !PhotoStore.isPhotoId(photoId) ||
      !(await this.store.exists(photoId, name))
    ) {
      throw new NotFoundException(
        `No ${what} for photo ${photoId} (yet: it exists once processing has completed).`,
      );
    }
    return new StreamableFile(
      createReadStream(this.store.file(photoId, name)),
      {
        type: 'image/webp',
        disposition: 'inline',
      },
    );
  }
}

/** A `userId` in the body may only repeat the token's user: nobody uploads for someone else. */
function assertOwnUser(user: DemoUser, claimed: unknown): void {
  if (claimed !== undefined && claimed !== user.userId) {
    throw new ForbiddenException(
      `The body's userId (${String(claimed)}) is not the token's user (${user.userId}): leave userId out, the token names the user.`,
    );
  }
}

/** The client's file name, for display only (files are stored under fixed names): no path, no control characters. */
function cleanName(name: string, extension = 'jpg'): string {
  const cleaned = basename(name.replace(/\\/g, '/'))
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u001f\u007f]/g, '')
    .trim()
    .slice(0, 200);
  return cleaned || `photo.${extension}`;
}
