import type { Id } from '../common';
import type { ChangePage } from '../ports/provider';
import { type ProviderRun, type RunStatus, runAtOf } from '../run/run';

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

interface LastRun {
  pipelineExternalId: string;
  status: RunStatus;
  runAt: Date;
}

/**
 * Each pipeline's latest run among the runs a sync wrote, kept until it is written to the
 * pipeline (ADR 0021): one write per pipeline once the runs listing ends, instead of one per
 * batch. The latest is the one with the latest `runAt`; of two at the same time, the one written
 * last. It holds one entry per pipeline, never one per run.
 */
export class LastRuns {
  private readonly latest = new Map<string, LastRun>();

  /** Notes the runs of a batch once it is written; `seenAt` stands for a run with no time of its own. */
  note(runs: readonly ProviderRun[], seenAt: Date): void {
    for (const run of runs) {
      const runAt = runAtOf(run, seenAt);
      const known = this.latest.get(run.pipelineExternalId);
      if (!known || known.runAt.getTime() <= runAt.getTime())
        this.latest.set(run.pipelineExternalId, { pipelineExternalId: run.pipelineExternalId, status: run.status, runAt });
    }
  }

  /** What was noted, in batches of at most `size`; kept until `forget`. */
  batches(size: number): LastRun[][] {
    const all = [...this.latest.values()];
    const batches: LastRun[][] = [];
    for (let i = 0; i < all.length; i += size) batches.push(all.slice(i, i + size));
    return batches;
  }

  /** Forgets what `batch` holds once it is written, unless a newer run was noted meanwhile. */
  forget(batch: readonly LastRun[]): void {
    for (const run of batch) if (this.latest.get(run.pipelineExternalId) === run) this.latest.delete(run.pipelineExternalId);
  }
}
