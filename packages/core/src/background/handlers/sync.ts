import type { SyncService } from '../../services/sync-service';
import type { JobHandler } from '../worker';

/** `sync` jobs: one connector sync each, queued by `SyncService.start` (requests and the scheduler). */
export const syncHandler =
  (syncs: SyncService): JobHandler =>
  (job, signal) =>
    syncs.runJob(job, signal);
