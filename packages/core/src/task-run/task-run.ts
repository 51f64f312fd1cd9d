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
  createdAt: Date;
  updatedAt: Date;
}

export const taskRunExternalId = (taskId: string, mapIndex: number) => (mapIndex >= 0 ? `${taskId}[${mapIndex}]` : taskId);
