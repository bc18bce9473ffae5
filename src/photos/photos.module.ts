import { Module } from '@nestjs/common';
import { NotificationsHandler } from './notifications.handler.js';
import { PhotoProcessingHandler } from './photo-processing.handler.js';
import { PhotosController } from './photos.controller.js';
import { PhotoOwners } from './photo-owners.service.js';
import { PhotosService } from './photos.service.js';

@Module({
  controllers: [PhotosController],
  providers: [PhotosService, PhotoProcessingHandler, NotificationsHandler, PhotoOwners],
  exports: [PhotoOwners],
})
export class PhotosModule {}
