/**
 * The summary metrics of a pipeline, defined once. `summarize` is the definition over runs; a store
 * that computes the totals itself (SQL) implements `SummaryTotals` by these constants and hands them
 * to `summaryOf`, and the repository contract checks its answer against `summarize`.
 */
import type { Run, RunStatus } from '../run/run';
import { type PipelineSummary, percentile } from './pipeline';

const DAY_MS = 24 * 3600_000;

/** The runs whose durations count (average, p95): finished ones. A canceled run's time says nothing. */
export const DURATION_STATUSES = ['success', 'failed'] as const satisfies readonly RunStatus[];

/** The percentile the summary reports, interpolated as `percentile` (Postgres' percentile_cont). */
export const SUMMARY_PERCENTILE = 95;

const MINUTE_MS = 60_000;

/**
 * The window of a `days`-day summary starts `days` days before the current minute began. A run is
 * in it when `runAt >= start`. Every answer within one minute has the same window, so a summary
 * computed once in that minute is exact for all of them (a store may keep it for the minute).
 */
export const summaryWindowStart = (now: Date, days: number): Date => new Date(Math.floor(now.getTime() / MINUTE_MS) * MINUTE_MS - days * DAY_MS);

/** Whether a run counts in a window that starts at `since`. */
export const inSummaryWindow = (run: Pick<Run, 'runAt'>, since: Date): boolean => run.runAt.getTime() >= since.getTime();

/** When a failed run counts as failed: its finish, else the time it is ordered by. */
export const failedAt = (run: Pick<Run, 'finishedAt' | 'runAt'>): Date => run.finishedAt ?? run.runAt;

/** Succeeded out of finished (succeeded + failed); null when none finished. */
export const successRate = (succeeded: number, failed: number): number | null => (succeeded + failed === 0 ? null : succeeded / (succeeded + failed));

/** What a store counts over a pipeline's runs in the window; the rest of the summary follows from it. */
export interface SummaryTotals {
  runs: number;
  succeeded: number;
  failed: number;
  /** Mean duration of DURATION_STATUSES runs that have one. */
  avgDurationSeconds: number | null;
  /** SUMMARY_PERCENTILE of the same durations. */
  p95DurationSeconds: number | null;
  /** The latest `failedAt` of a failed run. */
  lastFailureAt: Date | null;
}

/** The summary from its totals. */
export const summaryOf = (t: SummaryTotals, days: number): PipelineSummary => ({
  days,
  runs: t.runs,
  succeeded: t.succeeded,
  failed: t.failed,
  successRate: successRate(t.succeeded, t.failed),
  avgDurationSeconds: t.avgDurationSeconds,
  p95DurationSeconds: t.p95DurationSeconds,
  lastFailureAt: t.lastFailureAt,
});

/** The summary of the runs in a window (the caller picks them with `inSummaryWindow`). */
export function summarize(runs: readonly Pick<Run, 'status' | 'durationSeconds' | 'finishedAt' | 'runAt'>[], days: number): PipelineSummary {
  const failures = runs.filter((r) => r.status === 'failed');
  const durations = runs
    .filter((r) => (DURATION_STATUSES as readonly RunStatus[]).includes(r.status))
    .map((r) => r.durationSeconds)
    .filter((d): d is number => d !== null)
    .sort((a, b) => a - b);
  const lastFailure = failures.reduce<number | null>((m, r) => Math.max(m ?? -Infinity, failedAt(r).getTime()), null);
  return summaryOf(
    {
      runs: runs.length,
      succeeded: runs.filter((r) => r.status === 'success').length,
      failed: failures.length,
      avgDurationSeconds: durations.length === 0 ? null : durations.reduce((a, b) => a + b, 0) / durations.length,
      p95DurationSeconds: percentile(durations, SUMMARY_PERCENTILE),
      lastFailureAt: lastFailure === null ? null : new Date(lastFailure),
    },
    days,
  );
}
