import {
  BadRequestException,
  HttpException,
  Injectable,
  PayloadTooLargeException,
  UnsupportedMediaTypeException,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { catchError, throwError, type Observable } from 'rxjs';

/** Largest photo accepted (MAX_UPLOAD_MB, default 10). */
export const MAX_UPLOAD_BYTES =
  Math.round(Number(process.env.MAX_UPLOAD_MB ?? 10) * 1024 * 1024) ||
  10 * 1024 * 1024;

export function formatLimit(bytes: number): string {
  const mb = bytes / 1024 / 1024;
  return `${Number.isInteger(mb) ? mb : mb.toFixed(1)} MB`;
}

const ONE_FILE =
  'Send one image per request, as multipart/form-data in the field "photo" (upload several photos with several requests)';

/**
 * Says what to do instead of multer's terse errors ("File too large",
 * "Unexpected field"), keeping their status codes (413, 400, 415).
 */
@Injectable()
export class UploadErrorsInterceptor implements NestInterceptor {
  intercept(
    _context: ExecutionContext,
    next: CallHandler,
  ): Observable<unknown> {
    return next
      .handle()
      .pipe(catchError((error: unknown) => throwError(() => explain(error))));
  }
}

function explain(error: unknown): unknown {
  if (!(error instanceof HttpException)) return error;
  const cause = error.cause as { code?: string; field?: string } | undefined;
  switch (cause?.code) {
    case 'LIMIT_FILE_SIZE':
      return new PayloadTooLargeException(
        `The photo is larger than ${formatLimit(MAX_UPLOAD_BYTES)}, the limit: resize or compress it and upload it again.`,
        { cause },
      );
    case 'LIMIT_UNEXPECTED_FILE':
    case 'LIMIT_FILE_COUNT':
      return new BadRequestException(
        `${ONE_FILE}${cause.field && cause.field !== 'photo' ? `; got a file in "${cause.field}"` : ''}.`,
        { cause },
      );
    case 'LIMIT_PART_COUNT':
    case 'LIMIT_FIELD_COUNT':
    case 'LIMIT_FIELD_KEY':
    case 'LIMIT_FIELD_VALUE':
      return new BadRequestException(
        `Too many or too large form fields: send the image in "photo" and nothing else (the user comes from your token).`,
        { cause },
      );
  }
  if (error instanceof UnsupportedMediaTypeException && cause) {
    return new UnsupportedMediaTypeException(
      'Send the photo as multipart/form-data (a browser form or FormData), with the image in the field "photo".',
      { cause },
    );
  }
  if (
    error instanceof BadRequestException &&
    /^Multipart:|boundary/i.test(error.message)
  ) {
    return new BadRequestException(
      `The multipart body could not be read (${error.message}): send it again as multipart/form-data with the image in the field "photo".`,
      { cause },
    );
  }
  return error;
}
