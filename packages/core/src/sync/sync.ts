import type { Id } from '../common';
import type { ChangePage } from '../ports/provider';

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

/**
 * How many pages of changes a sync fetches before it asks for them, and the most rows it writes in
 * one batch: pages that arrived while the last batch was written are written together, up to this
 * many rows (ADR 0018). A sync holds at most `SYNC_PAGES_AHEAD` pages fetched ahead besides the
 * batch it is writing (itself at most `SYNC_PAGES_AHEAD` pages).
 */
export const SYNC_PAGES_AHEAD = 10;
export const SYNC_BATCH_ROWS = 1000;

const rowsOf = (page: ChangePage): number => (page.kind === 'runs' ? page.runs.length : page.kind === 'taskRuns' ? page.taskRuns.length : 0);

/** Whether `next` is written with `batch`: pages of the same rows (runs, or task runs) while the batch stays within the cap. */
export function joinsBatch(batch: readonly ChangePage[], next: ChangePage): boolean {
  if (next.kind === 'cursor' || next.kind !== batch[0]?.kind) return false;
  return batch.reduce((rows, page) => rows + rowsOf(page), rowsOf(next)) <= SYNC_BATCH_ROWS;
}

/** One page holding the rows of a batch that `joinsBatch` made. */
export function mergePages(batch: readonly ChangePage[]): ChangePage {
  const [first] = batch;
  if (batch.length === 1 || first.kind === 'cursor') return first;
  if (first.kind === 'runs') return { kind: 'runs', runs: batch.flatMap((page) => (page.kind === 'runs' ? page.runs : [])) };
  return { kind: 'taskRuns', taskRuns: batch.flatMap((page) => (page.kind === 'taskRuns' ? page.taskRuns : [])) };
}
