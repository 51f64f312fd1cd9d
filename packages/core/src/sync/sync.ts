import type { Id } from '../common';
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
 * How many pages of changes a sync fetches before it asks for them: the orchestrator goes on
 * sending while the writers are busy (ADR 0018).
 */
export const SYNC_PAGES_AHEAD = 10;
/** The most rows one write of a sync takes (ADR 0018). */
export const SYNC_BATCH_ROWS = 1000;
/**
 * How many writes of runs or of task runs a sync runs at once by default (ADR 0023): each on its
 * own connection, the rows of one pipeline always in one of them.
 */
export const SYNC_WRITERS = 2;

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
