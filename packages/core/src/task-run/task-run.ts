import type { Id } from '../common';

export const TASK_RUN_STATUSES = ['pending', 'queued', 'running', 'success', 'failed', 'skipped', 'upstream_failed', 'retrying', 'removed'] as const;
export type TaskRunStatus = (typeof TASK_RUN_STATUSES)[number];

/** What a provider knows of a task instance. `updatedAt` drives the incremental cursor. */
export interface ProviderTaskRun {
  pipelineExternalId: string;
  runExternalId: string;
  taskId: string;
  /** -1 for an unmapped task, as Airflow says. */
  mapIndex: number;
  status: TaskRunStatus;
  nativeStatus: string | null;
  tryNumber: number;
  startedAt: Date | null;
  finishedAt: Date | null;
  durationSeconds: number | null;
  operator: string | null;
  updatedAt: Date | null;
}

/**
 * One task instance of a run, as stored. `externalId` is the task id, with `[map_index]` for
 * mapped tasks. `updatedAt` is when Signalbox last wrote it.
 */
export interface TaskRun extends Omit<ProviderTaskRun, 'pipelineExternalId' | 'runExternalId' | 'updatedAt'> {
  id: Id;
  spaceId: Id;
  runId: Id;
  externalId: string;
  /** Rows the step wrote (for a merge, inserted plus updated); managed runs only, null otherwise or until it finished. */
  rows: number | null;
  /** Why the step failed (the database's message); managed runs only. */
  error: string | null;
  /** A dry run's plan of the step: the warehouse's plan and its estimated rows. */
  plan: StepPlan | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface StepPlan {
  /** The warehouse's own plan (PostgreSQL's `EXPLAIN (FORMAT JSON)`). */
  plan: unknown;
  estimatedRows: number | null;
}

export const taskRunExternalId = (taskId: string, mapIndex: number) => (mapIndex >= 0 ? `${taskId}[${mapIndex}]` : taskId);
