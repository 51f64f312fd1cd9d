import { isFinished } from '@signalbox/client';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { ErrorBox, Loading, StatusBadge } from '../components/bits';
import { Comments } from '../components/Comments';
import type { Run, RunDetail, TaskRun } from '../lib/api';
import { formatCount, formatDuration, formatInstant, formatWhen } from '../lib/format';
import { pipelineQuery, type SpaceContext, useSpace } from '../space';

/** After a failed follow (a restart, a network blip), how long before following again. */
const RETRY_MS = 2000;

/**
 * A run, kept live while it is not finished: the client's `wait` follows it with long polls that
 * the server answers as soon as the run is written again (a step, progress) or ends, and each new
 * state goes into the page's cache.
 */
function useLiveRun(space: SpaceContext, runId: string) {
  const queries = useQueryClient();
  const run = useQuery({ queryKey: ['run', space.slug, runId], queryFn: () => space.sb.runs.get(runId) });
  const following = run.data !== undefined && !isFinished(run.data.status);
  const [attempt, setAttempt] = useState(0);
  // biome-ignore lint/correctness/useExhaustiveDependencies: `attempt` starts a new follow after a failed one
  useEffect(() => {
    if (!following) return;
    const key = ['run', space.slug, runId];
    const stop = new AbortController();
    let retry: ReturnType<typeof setTimeout> | undefined;
    space.sb.runs
      .wait(runId, { signal: stop.signal, onProgress: (next) => queries.setQueryData(key, next) })
      .then((last) => queries.setQueryData(key, last))
      .catch(() => {
        if (!stop.signal.aborted) retry = setTimeout(() => setAttempt((n) => n + 1), RETRY_MS);
      });
    return () => {
      stop.abort();
      clearTimeout(retry);
    };
  }, [following, runId, space.sb, space.slug, queries, attempt]);
  return run;
}

export function RunPage() {
  const space = useSpace();
  const { runId = '' } = useParams();
  const run = useLiveRun(space, runId);
  const pipelineId = run.data?.pipeline_id;
  const pipeline = useQuery({ ...pipelineQuery(space, pipelineId ?? ''), enabled: pipelineId !== undefined });
  if (run.isPending) return <Loading what="the run" />;
  if (run.error) return <ErrorBox error={run.error} />;
  const r = run.data;
  return (
    <div>
      <p className="crumbs">
        <Link to={space.href('/pipelines')}>Pipelines</Link> / <Link to={space.href(`/pipelines/${r.pipeline_id}`)}>{pipeline.data?.name ?? 'pipeline'}</Link> /
      </p>
      <h1>
        Run {r.external_id} <StatusBadge status={r.status} />
      </h1>
      <dl className="facts">
        <dt>Type</dt>
        <dd>{r.run_type}</dd>
        <dt>Queued</dt>
        <dd title={formatInstant(r.queued_at)}>{formatWhen(r.queued_at)}</dd>
        <dt>Started</dt>
        <dd title={formatInstant(r.started_at)}>{formatWhen(r.started_at)}</dd>
        <dt>Finished</dt>
        <dd title={formatInstant(r.finished_at)}>{formatWhen(r.finished_at)}</dd>
        <dt>Duration</dt>
        <dd>{formatDuration(r.duration_seconds)}</dd>
        <dt>Rows loaded</dt>
        <dd>{formatCount(r.rows_loaded)}</dd>
        {r.options ? (
          <>
            <dt>Options</dt>
            <dd>
              {[
                r.options.full_refresh ? 'full refresh' : null,
                r.options.dry_run ? 'dry run' : null,
                r.options.from_step ? `from ${r.options.from_step}` : null,
              ]
                .filter(Boolean)
                .join(', ') || 'none'}
              {Object.keys(r.options.variables).length ? ` · variables ${JSON.stringify(r.options.variables)}` : ''}
            </dd>
          </>
        ) : null}
        {r.note ? (
          <>
            <dt>Note</dt>
            <dd>{r.note}</dd>
          </>
        ) : null}
      </dl>
      {r.progress ? <Progress run={r} /> : null}
      {r.error ? (
        <div className="error" role="alert">
          {r.error.code}
          {r.error.step ? ` in step ${r.error.step}` : ''}: {r.error.message}
        </div>
      ) : null}
      {r.cancel_requested_at && !isFinished(r.status) ? <p className="muted">Cancel asked for {formatWhen(r.cancel_requested_at)}: stopping…</p> : null}
      {space.can('editor') ? <Actions space={space} run={r} /> : null}
      <TaskRuns space={space} run={r} />
      <h2>Comments on the run</h2>
      <Comments sb={space.sb} target={{ runId: r.id }} canModerate={space.can('admin')} label="the run" />
    </div>
  );
}

function Progress({ run }: { run: RunDetail }) {
  const p = run.progress;
  if (!p) return null;
  const done = p.steps_total === 0 ? 0 : p.steps_done / p.steps_total;
  return (
    <section className="progress" aria-label="progress">
      <progress max={p.steps_total || 1} value={p.steps_done} />
      <span>
        {p.steps_done} of {p.steps_total} steps ({Math.round(done * 100)}%) · {p.stage}
        {p.step ? ` · ${p.step}` : ''} · {formatCount(p.rows_processed)} rows
      </span>
    </section>
  );
}

/** Cancel while it goes on; retry once it has ended without success. */
function Actions({ space, run }: { space: SpaceContext; run: RunDetail }) {
  const queries = useQueryClient();
  const navigate = useNavigate();
  const cancel = useMutation({
    mutationFn: () => space.sb.runs.cancel(run.id),
    onSuccess: () => queries.invalidateQueries({ queryKey: ['run', space.slug, run.id] }),
  });
  const retry = useMutation({
    mutationFn: () => space.sb.runs.retry(run.id),
    onSuccess: (next: Run) => {
      void queries.invalidateQueries({ queryKey: ['run', space.slug, next.id] });
      navigate(space.href(`/runs/${next.id}`));
    },
  });
  const finished = isFinished(run.status);
  return (
    <section className="actions">
      {!finished ? (
        <button type="button" className="danger" disabled={cancel.isPending || run.cancel_requested_at !== null} onClick={() => cancel.mutate()}>
          Cancel run
        </button>
      ) : null}
      {finished && run.status !== 'success' ? (
        <button type="button" className="primary" disabled={retry.isPending} onClick={() => retry.mutate()}>
          Retry
        </button>
      ) : null}
      <ErrorBox error={cancel.error ?? retry.error} />
    </section>
  );
}

/** The run's task runs (a managed run's steps), each with its own comment thread. */
function TaskRuns({ space, run }: { space: SpaceContext; run: RunDetail }) {
  const [open, setOpen] = useState<string | null>(null);
  return (
    <section aria-label="task runs">
      <h2>{run.origin === 'managed' ? 'Steps' : 'Task runs'}</h2>
      {run.task_runs.length === 0 ? <div className="empty">No task runs yet.</div> : null}
      {run.task_runs.length > 0 ? (
        <table className="task-runs">
          <thead>
            <tr>
              <th>Task</th>
              <th>Status</th>
              <th>Started</th>
              <th className="num">Duration</th>
              <th className="num">Rows</th>
              <th className="num">Try</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {run.task_runs.map((t) => (
              <TaskRow key={t.id} space={space} task={t} open={open === t.id} onToggle={() => setOpen(open === t.id ? null : t.id)} />
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}

function TaskRow({ space, task: t, open, onToggle }: { space: SpaceContext; task: TaskRun; open: boolean; onToggle: () => void }) {
  const label = `${t.task_id}${t.map_index >= 0 ? `[${t.map_index}]` : ''}`;
  return (
    <>
      <tr>
        <td>
          {label}
          {t.error ? <div className="error-inline">{t.error}</div> : null}
        </td>
        <td>
          <StatusBadge status={t.status} />
        </td>
        <td title={formatInstant(t.started_at)}>{formatWhen(t.started_at)}</td>
        <td className="num">{formatDuration(t.duration_seconds)}</td>
        <td className="num">{formatCount(t.rows)}</td>
        <td className="num">{t.try_number}</td>
        <td>
          <button type="button" className="link" aria-expanded={open} aria-label={`comments on ${label}`} onClick={onToggle}>
            Comments
          </button>
        </td>
      </tr>
      {open ? (
        <tr>
          <td colSpan={7}>
            <Comments sb={space.sb} target={{ taskRunId: t.id }} canModerate={space.can('admin')} label={label} />
          </td>
        </tr>
      ) : null}
    </>
  );
}
