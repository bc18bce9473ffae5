import { Injectable } from '@nestjs/common';
import { OnEvent, type EventOf } from '@shared-infra/event-bus';
import { PhotoStore } from './photo-store.service.js';

/**
 * Who owns which photo, learned from `photo.uploaded` on the bus, so that every
 * instance can tell whether a socket may watch a photo's room. In memory
 * (bounded), with the photo's record in the shared DATA_DIR behind it for
 * photos this instance has not heard of (it started later, or restarted).
 */
@Injectable()
export class PhotoOwners {
  private static readonly MAX = 10_000;
  private readonly owners = new Map<string, string>();

  constructor(private readonly store: PhotoStore) {}

  @OnEvent('photo.uploaded', { name: 'PhotoOwners.remember' })
  remember(event: EventOf<'photo.uploaded'>): void {
    this.record(event.data.photoId, event.data.userId);
  }

  /** Every instance forgets a deleted photo: its room is nobody's any more. */
  @OnEvent('photo.deleted', { name: 'PhotoOwners.forget' })
  deleted(event: EventOf<'photo.deleted'>): void {
    this.forget(event.data.photoId);
  }

  forget(photoId: string): void {
    this.owners.delete(photoId);
  }

  record(photoId: string, userId: string): void {
    this.owners.set(photoId, userId);
    if (this.owners.size > PhotoOwners.MAX)
      this.owners.delete(this.owners.keys().next().value!);
  }

  async isOwner(userId: string, photoId: string): Promise<boolean> {
    const known = this.owners.get(photoId);
    if (known !== undefined) return known === userId;
    const stored = await this.store.get(photoId);
    if (!stored) return false;
    this.record(photoId, stored.userId);
    return stored.userId === userId;
  }
}
