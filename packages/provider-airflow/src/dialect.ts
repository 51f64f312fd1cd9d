/** What differs between /api/v1 (Airflow 2) and /api/v2 (Airflow 3), behind one shape. */
import type { ProviderPipeline, ProviderRun, ProviderTaskRun, TriggerRequest } from '@signalbox/core';
import type { ApiVersion } from './config';
import { runStatusOf, runTypeOf, taskStatusOf } from './mapping';

export type Dto = Record<string, unknown>;

export interface Dialect {
  version: ApiVersion;
  /** Path prefix of the API, e.g. /api/v1. */
  prefix: string;
  dagsQuery(): Record<string, unknown>;
  runsQuery(since: Date | null): Record<string, unknown>;
  tasksQuery(since: Date | null): Record<string, unknown>;
  pipeline(dag: Dto): ProviderPipeline;
  /** `listedAt`: when the listing began; stands in for a run's update time when it has no times. */
  run(run: Dto, listedAt: Date): ProviderRun;
  task(task: Dto, listedAt: Date): ProviderTaskRun;
  triggerBody(request: TriggerRequest): Dto;
  /** The PATCH body that marks a run failed. */
  cancelBody(): Dto;
  /** The clearTaskInstances body that clears these task ids of one run, and their downstream. */
  clearBody(runId: string, taskIds: string[]): Dto;
}

/** The task instance states a retry clears: failed, and upstream_failed below a failure. */
export const FAILED_TASK_STATES = ['failed', 'upstream_failed'];

/**
 * Airflow's strings with U+0000 removed. PostgreSQL refuses that character in text and jsonb, so
 * one DAG description, run note or conf value holding it would otherwise fail a whole sync. Ids are
 * cleaned too: Airflow's own id rules leave NUL out, and a stray one must not stop the rest.
 */
export const clean = (s: string): string => (s.includes('\u0000') ? s.replaceAll('\u0000', '') : s);
export const str = (v: unknown): string | null => (typeof v === 'string' ? clean(v) : null);
/** An id field, as text. */
export const text = (v: unknown): string => clean(String(v));

/** A JSON value with every string (keys included, at any depth) cleaned of U+0000. */
export function cleanJson(v: unknown): unknown {
  if (typeof v === 'string') return clean(v);
  if (Array.isArray(v)) return v.map(cleanJson);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[clean(k)] = cleanJson(x);
    return out;
  }
  return v;
}
export const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

export function date(v: unknown): Date | null {
  if (typeof v !== 'string' || v === '') return null;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? null : d;
}

/** An object, cleaned of U+0000 at any depth (see `clean`). */
export const obj = (v: unknown): Record<string, unknown> | null =>
  v && typeof v === 'object' && !Array.isArray(v) ? (cleanJson(v) as Record<string, unknown>) : null;

export const owners = (v: unknown): string | null => {
  const list = Array.isArray(v)
    ? v
        .filter((o): o is string => typeof o === 'string')
        .map(clean)
        .filter((o) => o !== '')
    : [];
  return list.length ? list.join(', ') : null;
};

export const tags = (v: unknown): string[] => (Array.isArray(v) ? v.map((t) => str(obj(t)?.name)).filter((t): t is string => t !== null) : []);

/**
 * When a row last changed, as far as its fields tell; it feeds the sync cursor. Neither API returns
 * `updated_at` (they only filter by it), and Airflow bumps `updated_at` whenever these times change,
 * so their latest is a lower bound of it. The value is capped at `ceiling`, the moment the listing
 * began: every change after that moment is still ahead of a cursor built from it, and every change
 * before it was in the listing. A row with no time at all takes the ceiling.
 */
export function changedAt(times: Array<Date | null>, ceiling: Date): Date {
  let latest: Date | null = null;
  for (const t of times) if (t && (!latest || t > latest)) latest = t;
  return latest && latest < ceiling ? latest : ceiling;
}

/** A DAG's fields that both versions name alike; the dialect gives the schedule and next run. */
export function dagOf(dag: Dto, own: Pick<ProviderPipeline, 'schedule' | 'nextRunAt'>): ProviderPipeline {
  const dagId = text(dag.dag_id);
  return {
    externalId: dagId,
    name: str(dag.dag_display_name) || dagId,
    description: str(dag.description),
    owner: owners(dag.owners),
    tags: tags(dag.tags),
    paused: dag.is_paused === true,
    ...own,
  };
}

/** A DAG run's fields that both versions name alike; the dialect gives what differs. */
export function dagRunOf(r: Dto, own: Pick<ProviderRun, 'logicalDate' | 'queuedAt' | 'durationSeconds'>, listedAt: Date): ProviderRun {
  const startedAt = date(r.start_date);
  const finishedAt = date(r.end_date);
  return {
    pipelineExternalId: text(r.dag_id),
    externalId: text(r.dag_run_id),
    status: runStatusOf(r.state),
    nativeStatus: str(r.state),
    runType: runTypeOf(r.run_type),
    startedAt,
    finishedAt,
    conf: obj(r.conf),
    note: str(r.note),
    ...own,
    updatedAt: changedAt([own.queuedAt, startedAt, finishedAt, date(r.last_scheduling_decision)], listedAt),
  };
}

/** A task instance's fields that both versions name alike; `times` are the dialect's extra clues to its update time. */
export function taskInstanceOf(t: Dto, own: Pick<ProviderTaskRun, 'operator'>, times: Array<Date | null>, listedAt: Date): ProviderTaskRun {
  const startedAt = date(t.start_date);
  const finishedAt = date(t.end_date);
  return {
    pipelineExternalId: text(t.dag_id),
    runExternalId: text(t.dag_run_id),
    taskId: text(t.task_id),
    mapIndex: num(t.map_index) ?? -1,
    status: taskStatusOf(t.state),
    nativeStatus: str(t.state),
    tryNumber: num(t.try_number) ?? 0,
    startedAt,
    finishedAt,
    durationSeconds: num(t.duration),
    ...own,
    updatedAt: changedAt([startedAt, finishedAt, date(t.queued_when), ...times], listedAt),
  };
}
