import { Injectable } from '@nestjs/common';

/**
 * The processing jobs this instance ran (bounded). The worker is durable (one
 * instance per upload) but what it publishes is fan-out: every instance's
 * handlers hear it. A handler that must act once per job, such as the
 * notification, acts only where the job ran.
 */
@Injectable()
export class LocalJobs {
  private static readonly MAX = 10_000;
  private readonly jobs = new Set<string>();

  add(jobId: string): void {
    this.jobs.add(jobId);
    if (this.jobs.size > LocalJobs.MAX)
      this.jobs.delete(this.jobs.values().next().value!);
  }

  ranHere(jobId: string): boolean {
    return this.jobs.has(jobId);
  }
}
