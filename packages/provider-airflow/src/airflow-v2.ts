/** Airflow 3's public REST API (/api/v2). */
import type { ProviderPipeline, ProviderRun, ProviderTaskRun, TriggerRequest } from '@signalbox/core';
import { changedAt, date, type Dialect, type Dto, num, obj, owners, str, tags } from './dialect';
import { runStatusOf, runTypeOf, taskStatusOf } from './mapping';

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

    pipeline(dag): ProviderPipeline {
      const dagId = String(dag.dag_id);
      return {
        externalId: dagId,
        name: str(dag.dag_display_name) || dagId,
        description: str(dag.description),
        owner: owners(dag.owners),
        tags: tags(dag.tags),
        schedule: scheduleV2(dag),
        paused: dag.is_paused === true,
        nextRunAt: date(dag.next_dagrun_run_after) ?? date(dag.next_dagrun_logical_date),
      };
    },

    run(r, listedAt): ProviderRun {
      const queuedAt = date(r.queued_at);
      const startedAt = date(r.start_date);
      const finishedAt = date(r.end_date);
      return {
        pipelineExternalId: String(r.dag_id),
        externalId: String(r.dag_run_id),
        status: runStatusOf(r.state),
        nativeStatus: str(r.state),
        runType: runTypeOf(r.run_type),
        logicalDate: date(r.logical_date),
        queuedAt,
        startedAt,
        finishedAt,
        durationSeconds: num(r.duration),
        conf: obj(r.conf),
        note: str(r.note),
        updatedAt: changedAt([queuedAt, startedAt, finishedAt, date(r.last_scheduling_decision)], listedAt),
      };
    },

    task(t, listedAt): ProviderTaskRun {
      const startedAt = date(t.start_date);
      const finishedAt = date(t.end_date);
      return {
        pipelineExternalId: String(t.dag_id),
        runExternalId: String(t.dag_run_id),
        taskId: String(t.task_id),
        mapIndex: num(t.map_index) ?? -1,
        status: taskStatusOf(t.state),
        nativeStatus: str(t.state),
        tryNumber: num(t.try_number) ?? 0,
        startedAt,
        finishedAt,
        durationSeconds: num(t.duration),
        operator: str(t.operator) ?? str(t.operator_name),
        updatedAt: changedAt([startedAt, finishedAt, date(t.queued_when), date(t.scheduled_when)], listedAt),
      };
    },

    triggerBody(req: TriggerRequest): Dto {
      // logical_date must be present (null lets Airflow 3 run it without one); unknown keys are refused.
      const body: Dto = { dag_run_id: req.runId, logical_date: req.logicalDate ? req.logicalDate.toISOString() : null };
      if (req.conf) body.conf = req.conf;
      if (req.note !== null) body.note = req.note;
      return body;
    },
  };
}
