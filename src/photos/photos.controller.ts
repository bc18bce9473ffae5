import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { CreatePhotoDto } from './dto/create-photo.dto.js';
import { PhotosService } from './photos.service.js';

@Controller('photos')
export class PhotosController {
  constructor(private readonly photos: PhotosService) {}

  /** Registers a photo and starts its processing; progress arrives as events. */
  @Post()
  @HttpCode(202)
  create(@Body() body: CreatePhotoDto) {
    return this.photos.create(body);
  }
}
