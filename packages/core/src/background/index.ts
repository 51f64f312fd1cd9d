import { CLUSTER_RUN_JOB, type ClusterRunner } from '../engine/cluster-runner';
import { type EmbeddedEngine, MANAGED_RUN_JOB } from '../engine/embedded-engine';
import type { ConnectorRepository, PipelineRepository } from '../ports/repositories';
import type { Clock, IdGenerator, Logger } from '../ports/system';
import type { RunService } from '../services/run-service';
import type { SyncService } from '../services/sync-service';
import { SYNC_JOB } from '../services/sync-service';
import type { CronSchedules } from './cron';
import { ManagedScheduleTask } from './handlers/managed-schedule';
import { SyncScheduler } from './handlers/schedule';
import { syncHandler } from './handlers/sync';
import type { Job, JobQueue } from './job-queue';
import { type PeriodicTask, Worker, type WorkerOptions } from './worker';

export * from './cron';

/** Every kind of job the product queues (syncs, managed runs on each engine). */
export const JOB_NAMES = [SYNC_JOB, MANAGED_RUN_JOB, CLUSTER_RUN_JOB] as const;
export { ManagedScheduleTask } from './handlers/managed-schedule';
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
  /** With both, the worker also keeps managed pipelines' next run times. */
  pipelines?: PipelineRepository;
  cron?: CronSchedules;
  /** With both, the worker runs managed runs and queues the runs of due schedules. */
  engine?: EmbeddedEngine;
  runs?: RunService;
  /** Submits and follows managed runs on cluster engines (Argo). */
  clusterRunner?: ClusterRunner;
}

/**
 * The worker with every kind of background work: connector syncs, the scheduler that queues them,
 * and the schedules of managed pipelines.
 */
export function createWorker(d: BackgroundDeps): Worker {
  const engine = d.engine;
  const periodic: PeriodicTask[] = [
    new SyncScheduler(d.connectors, d.syncs, d.logger),
    // Managed runs whose job is gone for good end as failed rather than stay queued or running.
    ...(engine ? [{ name: 'orphaned-runs', run: () => engine.abandonOrphans() }] : []),
    ...(d.pipelines && d.cron
      ? [new ManagedScheduleTask(d.pipelines, d.cron, d.logger, d.runs && d.engine ? (p, tick) => d.runs!.triggerScheduled(p, tick) : undefined)]
      : []),
  ];
  const handlers = {
    [SYNC_JOB]: syncHandler(d.syncs),
    ...(engine ? { [MANAGED_RUN_JOB]: (job: Job, signal: AbortSignal) => engine.execute(job, signal) } : {}),
    ...(d.clusterRunner ? { [CLUSTER_RUN_JOB]: (job: Job, signal: AbortSignal) => d.clusterRunner!.execute(job, signal) } : {}),
  };
  return new Worker(d.jobs, handlers, d.clock, d.ids, d.logger, d.options, periodic);
}
