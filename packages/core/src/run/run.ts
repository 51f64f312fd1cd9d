import type { Id } from '../common';

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
 * set when Signalbox triggered it. `updatedAt` is when Signalbox last wrote it.
 */
export interface Run extends Omit<ProviderRun, 'pipelineExternalId' | 'updatedAt'> {
  id: Id;
  spaceId: Id;
  connectorId: Id;
  pipelineId: Id;
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
}

/** Duration from the provider, else from start and end. */
export function durationOf(r: Pick<ProviderRun, 'durationSeconds' | 'startedAt' | 'finishedAt'>): number | null {
  if (r.durationSeconds !== null) return r.durationSeconds;
  if (r.startedAt && r.finishedAt) return Math.max(0, (r.finishedAt.getTime() - r.startedAt.getTime()) / 1000);
  return null;
}

export const runAtOf = (r: Pick<ProviderRun, 'startedAt' | 'queuedAt' | 'logicalDate'>, seenAt: Date): Date =>
  r.startedAt ?? r.queuedAt ?? r.logicalDate ?? seenAt;
