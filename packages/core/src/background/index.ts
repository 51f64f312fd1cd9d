import type { ConnectorRepository } from '../ports/repositories';
import type { Clock, IdGenerator, Logger } from '../ports/system';
import type { SyncService } from '../services/sync-service';
import { SYNC_JOB } from '../services/sync-service';
import { SyncScheduler } from './handlers/schedule';
import { syncHandler } from './handlers/sync';
import type { JobQueue } from './job-queue';
import { Worker, type WorkerOptions } from './worker';

export * from './cron';
export { SyncScheduler } from './handlers/schedule';
export { syncHandler } from './handlers/sync';
export * from './job-queue';
export * from './worker';

export interface BackgroundDeps {
  jobs: JobQueue;
  connectors: ConnectorRepository;
  syncs: SyncService;
  clock: Clock;
  ids: IdGenerator;
  logger: Logger;
  options?: Partial<WorkerOptions>;
}

/** The worker with every kind of background work: connector syncs, and the scheduler that queues them. */
export function createWorker(d: BackgroundDeps): Worker {
  return new Worker(d.jobs, { [SYNC_JOB]: syncHandler(d.syncs) }, d.clock, d.ids, d.logger, d.options, [new SyncScheduler(d.connectors, d.syncs, d.logger)]);
}
