/** Airflow 2's stable REST API (/api/v1). */
import type { ProviderPipeline, ProviderRun, ProviderTaskRun, TriggerRequest } from '@signalbox/core';
import { changedAt, date, type Dialect, type Dto, num, obj, owners, str, tags } from './dialect';
import { runStatusOf, runTypeOf, taskStatusOf } from './mapping';

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

    pipeline(dag): ProviderPipeline {
      const dagId = String(dag.dag_id);
      return {
        externalId: dagId,
        name: str(dag.dag_display_name) || dagId,
        description: str(dag.description),
        owner: owners(dag.owners),
        tags: tags(dag.tags),
        schedule: scheduleV1(dag),
        paused: dag.is_paused === true,
        nextRunAt: date(dag.next_dagrun_create_after) ?? date(dag.next_dagrun),
      };
    },

    run(r, listedAt): ProviderRun {
      const startedAt = date(r.start_date);
      const finishedAt = date(r.end_date);
      return {
        pipelineExternalId: String(r.dag_id),
        externalId: String(r.dag_run_id),
        status: runStatusOf(r.state),
        nativeStatus: str(r.state),
        runType: runTypeOf(r.run_type),
        logicalDate: date(r.logical_date) ?? date(r.execution_date),
        queuedAt: null,
        startedAt,
        finishedAt,
        durationSeconds: null,
        conf: obj(r.conf),
        note: str(r.note),
        updatedAt: changedAt([startedAt, finishedAt, date(r.last_scheduling_decision)], listedAt),
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
        operator: str(t.operator),
        updatedAt: changedAt([startedAt, finishedAt, date(t.queued_when)], listedAt),
      };
    },

    triggerBody(req: TriggerRequest): Dto {
      // v1 takes conf as an object only, and sets the logical date to now when it is left out.
      const body: Dto = { dag_run_id: req.runId };
      if (req.conf) body.conf = req.conf;
      if (req.note !== null) body.note = req.note;
      if (req.logicalDate) body.logical_date = req.logicalDate.toISOString();
      return body;
    },
  };
}
