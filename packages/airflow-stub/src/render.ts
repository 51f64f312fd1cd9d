/** The stub's rows as the documents /api/v1 (Airflow 2.10) and /api/v2 (Airflow 3) return. */
import type { StubDag, StubRun, StubTask } from './data';

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString().replace('Z', '+00:00'));
const seconds = (a: number | null, b: number | null) => (a === null || b === null ? null : (b - a) / 1000);

function v1Schedule(dag: StubDag): Record<string, unknown> | null {
  const s = dag.schedule;
  if (!s) return null;
  if (s.kind === 'cron') return { __type: 'CronExpression', value: s.value };
  if (s.kind === 'delta') return { __type: 'TimeDelta', days: Math.floor(s.seconds / 86400), seconds: s.seconds % 86400, microseconds: 0 };
  if (s.kind === 'relative') {
    return {
      __type: 'RelativeDelta',
      years: 0,
      months: s.months,
      days: 0,
      leapdays: 0,
      hours: 0,
      minutes: 0,
      seconds: 0,
      microseconds: 0,
      year: 0,
      month: 0,
      day: 0,
      hour: 0,
      minute: 0,
      second: 0,
      microsecond: 0,
    };
  }
  return null;
}

function timetableDescription(dag: StubDag): string | null {
  const s = dag.schedule;
  if (!s) return 'Never, external triggers only';
  if (s.kind === 'delta') return '';
  if (s.kind === 'relative') return '';
  return s.description;
}

/** Airflow 3's `timetable_summary`: cron text, a timedelta's str(), or the timetable's name. */
function timetableSummary(dag: StubDag): string | null {
  const s = dag.schedule;
  if (!s) return null;
  if (s.kind === 'cron') return s.value;
  if (s.kind === 'delta') {
    const h = Math.floor((s.seconds % 86400) / 3600);
    const m = Math.floor((s.seconds % 3600) / 60);
    const days = Math.floor(s.seconds / 86400);
    const clock = `${h}:${String(m).padStart(2, '0')}:${String(s.seconds % 60).padStart(2, '0')}`;
    return days > 0 ? `${days} day${days > 1 ? 's' : ''}, ${clock}` : clock;
  }
  if (s.kind === 'relative') return `relativedelta(months=+${s.months})`;
  return 'Asset';
}

const fileToken = (dagId: string) => Buffer.from(`"dags/${dagId}.py"`).toString('base64url');

export function dagV1(d: StubDag): Record<string, unknown> {
  return {
    dag_id: d.dagId,
    dag_display_name: d.displayName,
    root_dag_id: null,
    is_paused: d.paused,
    is_active: d.active,
    is_subdag: false,
    last_parsed_time: iso(d.lastParsed),
    last_pickled: null,
    last_expired: null,
    scheduler_lock: null,
    pickle_id: null,
    default_view: 'grid',
    fileloc: `/opt/airflow/dags/${d.dagId}.py`,
    file_token: fileToken(d.dagId),
    owners: d.owners,
    description: d.description,
    schedule_interval: v1Schedule(d),
    timetable_description: timetableDescription(d),
    tags: d.tags.map((name) => ({ name })),
    max_active_tasks: 16,
    max_active_runs: 16,
    has_task_concurrency_limits: false,
    has_import_errors: false,
    next_dagrun: iso(d.nextRunLogical),
    next_dagrun_data_interval_start: iso(d.nextRunLogical),
    next_dagrun_data_interval_end: iso(d.nextRunAfter),
    next_dagrun_create_after: iso(d.nextRunAfter),
    max_consecutive_failed_dag_runs: 0,
  };
}

export function dagV2(d: StubDag): Record<string, unknown> {
  return {
    dag_id: d.dagId,
    dag_display_name: d.displayName,
    is_paused: d.paused,
    is_stale: !d.active,
    last_parsed_time: iso(d.lastParsed),
    last_parse_duration: 0.12,
    last_expired: null,
    bundle_name: 'dags-folder',
    bundle_version: null,
    relative_fileloc: `${d.dagId}.py`,
    fileloc: `/opt/airflow/dags/${d.dagId}.py`,
    description: d.description,
    timetable_summary: timetableSummary(d),
    timetable_description: timetableDescription(d),
    tags: d.tags.map((name) => ({ name, dag_id: d.dagId, dag_display_name: d.displayName })),
    max_active_tasks: 16,
    max_active_runs: 16,
    max_consecutive_failed_dag_runs: 0,
    has_task_concurrency_limits: false,
    has_import_errors: false,
    next_dagrun_logical_date: iso(d.nextRunLogical),
    next_dagrun_data_interval_start: iso(d.nextRunLogical),
    next_dagrun_data_interval_end: iso(d.nextRunAfter),
    next_dagrun_run_after: iso(d.nextRunAfter),
    owners: d.owners,
    file_token: fileToken(d.dagId),
    // Airflow 3.3 (seen on a real 3.3.2): what the timetable allows. Cron, timedelta and
    // relativedelta schedules are periodic and can be backfilled; asset schedules and none cannot.
    timetable_periodic: periodic(d),
    timetable_partitioned: false,
    is_backfillable: periodic(d),
    allowed_run_types: null,
  };
}

const periodic = (d: StubDag) => d.schedule !== null && d.schedule.kind !== 'asset';

export function runV1(r: StubRun): Record<string, unknown> {
  return {
    dag_run_id: r.runId,
    dag_id: r.dagId,
    logical_date: iso(r.logicalDate),
    execution_date: iso(r.logicalDate),
    start_date: iso(r.startDate),
    end_date: iso(r.endDate),
    data_interval_start: iso(r.logicalDate),
    data_interval_end: iso(r.logicalDate === null ? null : r.logicalDate + 3_600_000),
    last_scheduling_decision: iso(r.lastSchedulingDecision),
    run_type: r.kind === 'event' ? 'dataset_triggered' : r.kind,
    state: r.state,
    external_trigger: r.kind === 'manual',
    conf: r.conf,
    note: r.note,
  };
}

export function runV2(r: StubRun, displayName: string): Record<string, unknown> {
  return {
    dag_run_id: r.runId,
    dag_id: r.dagId,
    logical_date: iso(r.logicalDate),
    queued_at: iso(r.queuedAt),
    start_date: iso(r.startDate),
    end_date: iso(r.endDate),
    duration: seconds(r.startDate, r.endDate),
    data_interval_start: iso(r.logicalDate),
    data_interval_end: iso(r.logicalDate === null ? null : r.logicalDate + 3_600_000),
    run_after: iso(r.runAfter),
    last_scheduling_decision: iso(r.lastSchedulingDecision),
    run_type: r.kind === 'event' ? 'asset_triggered' : r.kind,
    state: r.state,
    triggered_by: r.triggeredBy,
    triggering_user_name: r.kind === 'manual' ? 'admin' : null,
    conf: r.conf,
    note: r.note,
    dag_versions: [],
    bundle_version: null,
    dag_display_name: displayName,
    partition_key: null,
    partition_date: null,
  };
}

export function taskV1(t: StubTask, logicalDate: number | null): Record<string, unknown> {
  return {
    task_id: t.taskId,
    task_display_name: t.taskId,
    dag_id: t.dagId,
    dag_run_id: t.runId,
    execution_date: iso(logicalDate),
    start_date: iso(t.startDate),
    end_date: iso(t.endDate),
    duration: seconds(t.startDate, t.endDate),
    state: t.state,
    try_number: t.tryNumber,
    map_index: t.mapIndex,
    max_tries: t.maxTries,
    hostname: t.startDate === null ? '' : 'worker-1',
    unixname: 'airflow',
    pool: t.pool,
    pool_slots: 1,
    queue: t.queue,
    priority_weight: 1,
    operator: t.operator,
    queued_when: iso(t.queuedWhen),
    pid: null,
    executor: null,
    executor_config: '{}',
    sla_miss: null,
    rendered_map_index: t.mapIndex >= 0 ? String(t.mapIndex) : null,
    rendered_fields: {},
    trigger: null,
    triggerer_job: null,
    note: null,
  };
}

export function taskV2(t: StubTask, run: { logicalDate: number | null; runAfter: number } | undefined, dagDisplayName: string): Record<string, unknown> {
  return {
    id: t.id,
    task_id: t.taskId,
    dag_id: t.dagId,
    dag_run_id: t.runId,
    map_index: t.mapIndex,
    logical_date: iso(run?.logicalDate ?? null),
    run_after: iso(run?.runAfter ?? t.updatedAt),
    start_date: iso(t.startDate),
    end_date: iso(t.endDate),
    duration: seconds(t.startDate, t.endDate),
    // Airflow 3 has no "none" string: a task without state is null.
    state: t.state === 'none' ? null : t.state,
    try_number: t.tryNumber,
    max_tries: t.maxTries,
    task_display_name: t.taskId,
    dag_display_name: dagDisplayName,
    hostname: t.startDate === null ? null : 'worker-1',
    unixname: 'airflow',
    pool: t.pool,
    pool_slots: 1,
    queue: t.queue,
    priority_weight: 1,
    operator: t.operator,
    operator_name: t.operator,
    queued_when: iso(t.queuedWhen),
    scheduled_when: iso(t.scheduledWhen),
    pid: null,
    executor: null,
    executor_config: '{}',
    note: null,
    rendered_map_index: t.mapIndex >= 0 ? String(t.mapIndex) : null,
    rendered_fields: {},
    trigger: null,
    triggerer_job: null,
    dag_version: null,
  };
}
