/**
 * Airflow's enums (both API versions) to the core's normalized values. Every mapping keeps the
 * native value beside the normalized one, so nothing is lost; docs/airflow.md explains the choices.
 */
import type { RunStatus, RunType, TaskRunStatus } from '@signalbox/core';

/** DAG run `state`: the same four values in v1 and v2. Airflow has no cancel state. */
export const RUN_STATUS: Record<string, RunStatus> = {
  queued: 'queued',
  running: 'running',
  success: 'success',
  failed: 'failed',
};

/** DAG run `run_type`: v1 says dataset_triggered, v2 asset_triggered. */
export const RUN_TYPE: Record<string, RunType> = {
  scheduled: 'scheduled',
  manual: 'manual',
  backfill: 'backfill',
  dataset_triggered: 'event',
  asset_triggered: 'event',
};

/** Task instance `state`, v1 and v2; null (and v1's deprecated "none") is a task not yet scheduled. */
export const TASK_STATUS: Record<string, TaskRunStatus> = {
  none: 'pending',
  scheduled: 'pending',
  queued: 'queued',
  running: 'running',
  success: 'success',
  failed: 'failed',
  skipped: 'skipped',
  upstream_failed: 'upstream_failed',
  up_for_retry: 'retrying',
  // A sensor between pokes and a task waiting on its trigger are still in progress.
  up_for_reschedule: 'running',
  deferred: 'running',
  // Cleared while running: Airflow kills it and runs it again without spending a try.
  restarting: 'retrying',
  removed: 'removed',
};

/** An unknown run state (a newer Airflow) is taken as not finished, so a later sync revisits it. */
export const runStatusOf = (state: unknown): RunStatus => (typeof state === 'string' ? RUN_STATUS[state] : undefined) ?? 'running';

/** An unknown run type is taken as manual: something outside the schedule started it. */
export const runTypeOf = (type: unknown): RunType => (typeof type === 'string' ? RUN_TYPE[type] : undefined) ?? 'manual';

export const taskStatusOf = (state: unknown): TaskRunStatus =>
  state === null || state === undefined ? 'pending' : ((typeof state === 'string' ? TASK_STATUS[state] : undefined) ?? 'pending');
