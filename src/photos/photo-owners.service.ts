import { Injectable } from '@nestjs/common';
import { OnEvent, type EventOf } from '@shared-infra/event-bus';

/**
 * Who owns which photo, learned from `photo.uploaded` on the bus, so that every
 * instance can tell whether a socket may watch a photo's room.
 * The demo keeps it in memory (bounded); a real app would ask its database.
 */
@Injectable()
export class PhotoOwners {
  private static readonly MAX = 10_000;
  private readonly owners = new Map<string, string>();

  @OnEvent('photo.uploaded', { name: 'PhotoOwners.remember' })
  remember(event: EventOf<'photo.uploaded'>): void {
    this.record(event.data.photoId, event.data.userId);
  }

  record(photoId: string, userId: string): void {
    this.owners.set(photoId, userId);
    if (this.owners.size > PhotoOwners.MAX) this.owners.delete(this.owners.keys().next().value!);
  }

  isOwner(userId: string, photoId: string): boolean {
    return this.owners.get(photoId) === userId;
  }
}
