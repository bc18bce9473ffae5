import {
  IsISO8601,
  IsInt,
  IsNotEmpty,
  IsString,
  Matches,
  Max,
  Min,
} from 'class-validator';

/** Shape of `photo.uploaded`, registered with the bus so that bad publishes are refused. */
export class PhotoUploadedDto {
  @IsString()
  @IsNotEmpty()
  photoId!: string;

  @IsString()
  @IsNotEmpty()
  userId!: string;

  @IsString()
  @IsNotEmpty()
  filename!: string;

  @IsInt()
  @Min(1)
  @Max(50 * 1024 * 1024)
  size!: number;

  @Matches(/^image\/(jpeg|png|gif|webp)$/, {
    message: 'mimeType must be image/jpeg, image/png, image/gif or image/webp',
  })
  mimeType!: string;

  @IsISO8601()
  uploadedAt!: string;
}
