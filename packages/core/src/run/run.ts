import type { Id } from '../common';
import type { VariableValue } from '../definition/spec';
import type { PipelineOrigin } from '../pipeline/managed';

export const RUN_STATUSES = ['queued', 'running', 'success', 'failed', 'canceled'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

export const RUN_TYPES = ['scheduled', 'manual', 'backfill', 'event'] as const;
export type RunType = (typeof RUN_TYPES)[number];

/** What a provider knows of a run. `updatedAt` drives the incremental cursor. */
export interface ProviderRun {
  pipelineExternalId: string;
  externalId: string;
  status: RunStatus;
  nativeStatus: string | null;
  runType: RunType;
  logicalDate: Date | null;
  queuedAt: Date | null;
  startedAt: Date | null;
  finishedAt: Date | null;
  durationSeconds: number | null;
  conf: Record<string, unknown> | null;
  note: string | null;
  updatedAt: Date | null;
}

/**
 * One execution of a pipeline: the provider's fields, with times the provider's; `triggeredBy` is
 * set when Signalbox triggered it. `updatedAt` is when Signalbox last wrote it. A run of a managed
 * pipeline (`origin` managed) has `managed` set and, on the embedded engine, no connector.
 */
export interface Run extends Omit<ProviderRun, 'pipelineExternalId' | 'updatedAt'> {
  id: Id;
  spaceId: Id;
  /** The connector a synced run came from; for a managed run its engine's connector, null for `embedded`. */
  connectorId: Id | null;
  pipelineId: Id;
  origin: PipelineOrigin;
  /** Set exactly when `origin` is managed. */
  managed: ManagedRun | null;
  triggeredBy: Id | null;
  /** The time that orders runs: started, else queued, else logical date, else when first seen. */
  runAt: Date;
  createdAt: Date;
  updatedAt: Date;
}

/** What a run list keeps. `status` and `runType` match any of their values (absent or empty: no condition). */
export interface RunFilter {
  startedFrom?: Date;
  startedTo?: Date;
  status?: readonly RunStatus[];
  runType?: readonly RunType[];
  /** Runs of this version of a managed pipeline only. */
  versionId?: string;
}

/** Duration from the provider, else from start and end. */
export function durationOf(r: Pick<ProviderRun, 'durationSeconds' | 'startedAt' | 'finishedAt'>): number | null {
  if (r.durationSeconds !== null) return r.durationSeconds;
  if (r.startedAt && r.finishedAt) return Math.max(0, (r.finishedAt.getTime() - r.startedAt.getTime()) / 1000);
  return null;
}

export const runAtOf = (r: Pick<ProviderRun, 'startedAt' | 'queuedAt' | 'logicalDate'>, seenAt: Date): Date =>
  r.startedAt ?? r.queuedAt ?? r.logicalDate ?? seenAt;

/*
 * Managed runs. Their options, progress and engine are documents of the wire (snake_case keys),
 * stored as they are, as a run's `conf` is.
 */

/** A managed run's options: the trigger's, with defaults filled in. */
export interface RunOptions {
  full_refresh: boolean;
  dry_run: boolean;
  /** Every variable of the version: its default, or the value the trigger gave. */
  variables: Record<string, VariableValue>;
  /** The first step to run; earlier steps are skipped and their outputs reused. */
  from_step: string | null;
}

/** What a run is doing: `queued` until its first step starts, then the stage of its step. */
export const RUN_STAGES = ['queued', 'extract', 'transform', 'load'] as const;
export type RunStage = (typeof RUN_STAGES)[number];

export interface RunProgress {
  stage: RunStage;
  /** The step running now (or the last one that ran, once finished); null while queued. */
  step: string | null;
  /** The sum of the finished steps' rows. */
  rows_processed: number;
  steps_done: number;
  steps_total: number;
}

/** The engine that runs a managed run, and what it was given and answered (Argo's manifest and metadata). */
export interface RunEngine {
  type: string;
  manifest: Record<string, unknown> | null;
  metadata: Record<string, unknown> | null;
}

/** Why a managed run failed: a code (`STEP_FAILED`, `RUN_TIMEOUT`, `WAREHOUSE_UNREACHABLE` …), the message, and the step. */
export interface RunError {
  code: string;
  message: string;
  step: string | null;
}

export interface ManagedRun {
  pipelineVersionId: Id;
  options: RunOptions;
  progress: RunProgress;
  /** Rows written by load steps; null until the run has loaded anything (and for dry runs). */
  rowsLoaded: number | null;
  durationMs: number | null;
  engine: RunEngine;
  error: RunError | null;
  /** Set when a cancel was asked for while the run ran: its engine stops it. */
  cancelRequestedAt: Date | null;
}

/** What a managed run's engine writes as it goes. Absent fields stay as they are. */
export type ManagedRunPatch = Partial<Pick<Run, 'status' | 'nativeStatus' | 'startedAt' | 'finishedAt' | 'durationSeconds'>> &
  Partial<Pick<ManagedRun, 'progress' | 'rowsLoaded' | 'durationMs' | 'engine' | 'error'>>;

export const isFinished = (status: RunStatus): boolean => status === 'success' || status === 'failed' || status === 'canceled';

/**
 * The workflow name of a run: `signalbox-` and the 32 hex digits of its id. DNS-safe and 42
 * characters, within the 63 of a Kubernetes label value (Argo labels pods with it); every digit
 * kept, so two runs never share a name (a prefix of a time-ordered id would). The same for a run
 * whatever engine runs it: a retry after a lost answer names the same workflow, and the seed-3
 * dialect shows it for embedded runs too.
 */
export function workflowNameOf(runId: string): string {
  return `signalbox-${runId.replace(/[^0-9a-f]/gi, '').toLowerCase()}`;
}
