/** Airflow 2's stable REST API (/api/v1). */
import type { TriggerRequest } from '@signalbox/core';
import { type Dialect, type Dto, dagOf, dagRunOf, date, num, obj, str, taskInstanceOf } from './dialect';

/** A v1 `schedule_interval` as text: the cron expression, or a timedelta as Airflow prints it. */
export function scheduleV1(dag: Dto): string | null {
  const s = obj(dag.schedule_interval);
  const description = str(dag.timetable_description);
  if (s?.__type === 'CronExpression' && typeof s.value === 'string') return s.value;
  if (s?.__type === 'TimeDelta') {
    const days = num(s.days) ?? 0;
    const secs = num(s.seconds) ?? 0;
    const clock = `${Math.floor(secs / 3600)}:${String(Math.floor((secs % 3600) / 60)).padStart(2, '0')}:${String(secs % 60).padStart(2, '0')}`;
    return days ? `${days} day${days === 1 ? '' : 's'}, ${clock}` : clock;
  }
  if (s?.__type === 'RelativeDelta') {
    const parts = ['years', 'months', 'days', 'hours', 'minutes', 'seconds']
      .filter((k) => num(s[k]))
      .map((k) => `${k}=${num(s[k])! > 0 ? '+' : ''}${num(s[k])}`);
    return description || `relativedelta(${parts.join(', ')})`;
  }
  // No interval: a dataset schedule or a custom timetable describes itself; else unscheduled.
  return description || null;
}

export function v1Dialect(prefix = '/api/v1'): Dialect {
  return {
    version: 'v1',
    prefix,
    dagsQuery: () => ({ order_by: 'dag_id' }),
    // By id, which never changes: an update does not move a row across pages while they are read.
    runsQuery: (since) => ({ order_by: 'id', ...(since ? { updated_at_gte: since.toISOString() } : {}) }),
    // The v1 task instance list has no order_by: Airflow orders it by its own key.
    tasksQuery: (since) => (since ? { updated_at_gte: since.toISOString() } : {}),

    pipeline: (dag) => dagOf(dag, { schedule: scheduleV1(dag), nextRunAt: date(dag.next_dagrun_create_after) ?? date(dag.next_dagrun) }),
    // v1 runs carry neither a queued time nor a duration (the core derives it from start and end).
    run: (r, listedAt) => dagRunOf(r, { logicalDate: date(r.logical_date) ?? date(r.execution_date), queuedAt: null, durationSeconds: null }, listedAt),
    task: (t, listedAt) => taskInstanceOf(t, { operator: str(t.operator) }, [], listedAt),

    triggerBody(req: TriggerRequest): Dto {
      // v1 takes conf as an object only, and sets the logical date to now when it is left out.
      const body: Dto = { dag_run_id: req.runId };
      if (req.conf) body.conf = req.conf;
      if (req.note !== null) body.note = req.note;
      if (req.logicalDate) body.logical_date = req.logicalDate.toISOString();
      return body;
    },

    // UpdateDagRunState: `state` is the only field.
    cancelBody: () => ({ state: 'failed' }),
    // Every flag is sent: Airflow 2.10 defaults dry_run to true and reset_dag_runs to false (the
    // run would stay failed), which the spec leaves unsaid.
    clearBody: (runId, taskIds) => ({
      dry_run: false,
      dag_run_id: runId,
      task_ids: taskIds,
      include_downstream: true,
      include_upstream: false,
      only_failed: false,
      reset_dag_runs: true,
    }),
  };
}
