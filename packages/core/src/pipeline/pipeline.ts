import type { Id } from '../common';
import type { ConnectorType } from '../connector/connector';
import { invalid } from '../errors';
import type { RunStatus } from '../run/run';
import type { ManagedFields, PipelineOrigin } from './managed';

export const CRITICALITIES = ['low', 'medium', 'high', 'critical'] as const;
export type Criticality = (typeof CRITICALITIES)[number];

export const PIPELINE_STATUSES = ['active', 'paused', 'error'] as const;
export type PipelineStatus = (typeof PIPELINE_STATUSES)[number];

/** What a provider knows of a pipeline: the fields sync may write. */
export interface ProviderPipeline {
  externalId: string;
  name: string;
  description: string | null;
  owner: string | null;
  tags: string[];
  schedule: string | null;
  paused: boolean;
  nextRunAt: Date | null;
}

/** A connector type for a synced pipeline; `managed` for one defined in Signalbox. */
export type PipelineProvider = ConnectorType | 'managed';

/**
 * A DAG of a connector (`origin` synced), or a pipeline defined in Signalbox (`origin` managed).
 * Provider fields come from sync, or for a managed pipeline from its current version (its name is
 * also its external id); `teamId` and `criticality` are product fields that belong to users, and
 * sync never writes them.
 */
export interface Pipeline extends ProviderPipeline {
  id: Id;
  spaceId: Id;
  origin: PipelineOrigin;
  /** The connector a synced pipeline came from; a managed one's engine connector, null for `embedded`. */
  connectorId: Id | null;
  provider: PipelineProvider;
  /** Set exactly when `origin` is managed. */
  managed: ManagedFields | null;
  teamId: Id | null;
  criticality: Criticality | null;
  /** The newest run's status and time, kept by sync and trigger so the status filter is one column. */
  lastRunStatus: RunStatus | null;
  lastRunAt: Date | null;
  removedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export function checkCriticality(value: string | null): Criticality | null {
  if (value === null) return null;
  if (!(CRITICALITIES as readonly string[]).includes(value)) {
    throw invalid('criticality', `must be one of ${CRITICALITIES.join(', ')} or null`);
  }
  return value as Criticality;
}

/** `paused` when paused in the provider, `error` when its last run failed, else `active`. */
export function pipelineStatus(p: Pick<Pipeline, 'paused' | 'lastRunStatus'>): PipelineStatus {
  if (p.paused) return 'paused';
  if (p.lastRunStatus === 'failed') return 'error';
  return 'active';
}

/** Summary metrics of a pipeline's runs over a window of days. Durations in seconds. */
export interface PipelineSummary {
  days: number;
  runs: number;
  succeeded: number;
  failed: number;
  /** succeeded / finished runs (succeeded + failed), null when none finished. */
  successRate: number | null;
  avgDurationSeconds: number | null;
  p95DurationSeconds: number | null;
  lastFailureAt: Date | null;
}

export const DEFAULT_SUMMARY_DAYS = 7;
export const MAX_SUMMARY_DAYS = 365;

/**
 * What a pipeline list keeps. Each list field matches any of its values (absent or empty: no
 * condition); the fields combine with AND.
 */
export interface PipelineFilter {
  provider?: readonly PipelineProvider[];
  origin?: readonly PipelineOrigin[];
  status?: readonly PipelineStatus[];
  owner?: string;
  criticality?: readonly Criticality[];
  teamId?: Id;
  connectorId?: Id;
  /** Case-insensitive literal text over name, external id, description, owner and tags. */
  q?: string;
  watchedOnly?: boolean;
  includeRemoved?: boolean;
}

/** A pipeline as a reader sees it: with its summary and whether the reader watches it. */
export interface PipelineView {
  pipeline: Pipeline;
  summary: PipelineSummary;
  watched: boolean;
}

/** The p-th percentile (0..100) by linear interpolation between closest ranks, as Postgres' percentile_cont. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo);
}
