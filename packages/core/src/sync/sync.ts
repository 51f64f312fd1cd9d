import type { Id } from '../common';

export type SyncStatus = 'running' | 'succeeded' | 'failed';

export interface SyncCounts {
  pipelines: number;
  removedPipelines: number;
  runs: number;
  taskRuns: number;
}

/** One sync of a connector: its state, what it wrote and why it failed. */
export interface SyncRecord {
  id: Id;
  spaceId: Id;
  connectorId: Id;
  status: SyncStatus;
  triggeredBy: Id | null;
  startedAt: Date;
  /** Refreshed while the sync works; a running sync whose heartbeat is older than its lease is abandoned. */
  heartbeatAt: Date;
  finishedAt: Date | null;
  counts: SyncCounts;
  error: string | null;
}

export const emptyCounts = (): SyncCounts => ({ pipelines: 0, removedPipelines: 0, runs: 0, taskRuns: 0 });
