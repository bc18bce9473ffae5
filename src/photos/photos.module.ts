import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { LocalJobs } from './local-jobs.service.js';
import { NotificationsHandler } from './notifications.handler.js';
import { PhotoProcessingHandler } from './photo-processing.handler.js';
import { PhotoOwners } from './photo-owners.service.js';
import { PhotoStore } from './photo-store.service.js';
import { PhotosController } from './photos.controller.js';
import { PhotosService } from './photos.service.js';

@Module({
  imports: [AuthModule],
  controllers: [PhotosController],
  providers: [
    PhotosService,
    PhotoStore,
    PhotoProcessingHandler,
    NotificationsHandler,
    PhotoOwners,
    LocalJobs,
  ],
  exports: [PhotoOwners, PhotoStore],
})
export class PhotosModule {}
