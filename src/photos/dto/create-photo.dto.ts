import {
  IsInt,
  IsNotEmpty,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
} from 'class-validator';

/**
 * JSON body of `POST /photos`: registers a photo by its metadata alone (uploads
 * are multipart). The photo is the bearer token's user's.
 */
export class CreatePhotoDto {
  /** May be left out; when given, it must be the token's user (else 403). */
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(128)
  userId?: string;

  @IsString()
  @IsNotEmpty()
  @MaxLength(255)
  filename!: string;

  @IsInt()
  @Min(1)
  @Max(50 * 1024 * 1024)
  size!: number;

  @Matches(/^image\/(jpeg|png|gif|webp)$/, {
    message: 'mimeType must be image/jpeg, image/png, image/gif or image/webp',
  })
  mimeType!: string;
}
