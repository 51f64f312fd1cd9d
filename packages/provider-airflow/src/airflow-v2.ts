/** Airflow 3's public REST API (/api/v2). */
import type { TriggerRequest } from '@signalbox/core';
import { type Dialect, type Dto, dagOf, dagRunOf, date, num, str, taskInstanceOf } from './dialect';

/** A v2 schedule as text: `timetable_summary` (cron text, a timedelta, an asset), else the description. */
export function scheduleV2(dag: Dto): string | null {
  const summary = str(dag.timetable_summary);
  // Airflow 3 summarises a DAG without a schedule as the string "None".
  if (summary && summary !== 'None') return summary;
  return str(dag.timetable_description) || null;
}

export function v2Dialect(prefix = '/api/v2'): Dialect {
  return {
    version: 'v2',
    prefix,
    dagsQuery: () => ({ order_by: ['dag_id'] }),
    // By id, which never changes: an update does not move a row across pages while they are read.
    runsQuery: (since) => ({ order_by: ['id'], ...(since ? { updated_at_gte: since.toISOString() } : {}) }),
    tasksQuery: (since) => ({ order_by: ['id'], ...(since ? { updated_at_gte: since.toISOString() } : {}) }),

    pipeline: (dag) => dagOf(dag, { schedule: scheduleV2(dag), nextRunAt: date(dag.next_dagrun_run_after) ?? date(dag.next_dagrun_logical_date) }),
    run: (r, listedAt) => dagRunOf(r, { logicalDate: date(r.logical_date), queuedAt: date(r.queued_at), durationSeconds: num(r.duration) }, listedAt),
    task: (t, listedAt) => taskInstanceOf(t, { operator: str(t.operator) ?? str(t.operator_name) }, [date(t.scheduled_when)], listedAt),

    triggerBody(req: TriggerRequest): Dto {
      // logical_date must be present (null lets Airflow 3 run it without one); unknown keys are refused.
      const body: Dto = { dag_run_id: req.runId, logical_date: req.logicalDate ? req.logicalDate.toISOString() : null };
      if (req.conf) body.conf = req.conf;
      if (req.note !== null) body.note = req.note;
      return body;
    },

    // DAGRunPatchBody takes `state` and `note`; without update_mask every field sent is applied.
    cancelBody: () => ({ state: 'failed' }),
    // ClearTaskInstancesBody refuses unknown keys; dry_run defaults to true, reset_dag_runs to true.
    // run_on_latest_version is left out: the run is cleared on its own DAG version.
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
