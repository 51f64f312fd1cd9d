import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Link, useNavigate, useParams, useSearchParams } from 'react-router';
import { CheckboxGroup, Empty, ErrorBox, Loading, Pager, StatusBadge } from '../components/bits';
import { DiffView } from '../components/DiffView';
import { Gantt } from '../components/Gantt';
import { listPage, type PipelineDetail, type PipelineVersion, type Run, type VersionDiff } from '../lib/api';
import { formatCount, formatDuration, formatInstant, formatRate, formatWhen } from '../lib/format';
import { parseObject, SubmissionKeys } from '../lib/forms';
import { pipelineQuery, type SpaceContext, useSpace } from '../space';

const RUN_STATUSES = ['queued', 'running', 'success', 'failed', 'canceled'] as const;
const RUN_TYPES = ['scheduled', 'manual', 'backfill', 'event'] as const;
const RUNS_PER_PAGE = 50;

/** A day (`YYYY-MM-DD`) from the address, or undefined when it is not one. */
const dayOf = (value: string | null) => (value && /^\d{4}-\d{2}-\d{2}$/.test(value) && !Number.isNaN(Date.parse(value)) ? value : undefined);

/** One pipeline: its summary, its run history as a gantt timeline, its runs, trigger, and its versions when managed. */
export function PipelinePage() {
  const space = useSpace();
  const { pipelineId = '' } = useParams();
  const pipeline = useQuery({
    ...pipelineQuery(space, pipelineId),
    // A run that is going on moves the summary and the timeline: read again while one is.
    refetchInterval: (q) => (q.state.data?.last_run && ['queued', 'running'].includes(q.state.data.last_run.status) ? 3000 : false),
  });
  if (pipeline.isPending) return <Loading what="the pipeline" />;
  if (pipeline.error) return <ErrorBox error={pipeline.error} />;
  const p = pipeline.data;
  return (
    <div>
      <p className="crumbs">
        <Link to={space.href('/pipelines')}>Pipelines</Link> /
      </p>
      <h1>
        {p.name} <StatusBadge status={p.status} />
      </h1>
      {p.description ? <p className="description">{p.description}</p> : null}
      <dl className="facts">
        <dt>Origin</dt>
        <dd>{p.origin === 'managed' ? `managed (${p.engine ?? 'embedded'})` : `${p.provider} · ${p.external_id}`}</dd>
        <dt>Schedule</dt>
        <dd>{p.schedule ?? '—'}</dd>
        <dt>Next run</dt>
        <dd title={formatInstant(p.next_run_at)}>{formatWhen(p.next_run_at)}</dd>
        <dt>Owner</dt>
        <dd>{p.owner ?? '—'}</dd>
        <dt>Criticality</dt>
        <dd>{p.criticality ?? '—'}</dd>
        {p.current_version ? (
          <>
            <dt>Version</dt>
            <dd>
              {p.current_version.number}
              {p.current_version.message ? ` — ${p.current_version.message}` : ''}
            </dd>
          </>
        ) : null}
      </dl>
      <section className="summary" aria-label="summary">
        <div>
          <span className="big">{formatCount(p.summary.runs)}</span> runs in {p.summary.days} days
        </div>
        <div>
          <span className="big">{formatRate(p.summary.success_rate)}</span> succeeded ({p.summary.succeeded} / {p.summary.failed} failed)
        </div>
        <div>
          <span className="big">{formatDuration(p.summary.avg_duration_seconds)}</span> average
        </div>
        <div>
          <span className="big">{formatDuration(p.summary.p95_duration_seconds)}</span> p95
        </div>
        <div title={formatInstant(p.summary.last_failure_at)}>last failure {formatWhen(p.summary.last_failure_at)}</div>
      </section>
      {space.can('editor') ? <Trigger space={space} pipeline={p} /> : null}
      <Runs space={space} pipeline={p} />
      {p.origin === 'managed' ? <Versions space={space} pipeline={p} /> : null}
    </div>
  );
}

/** Start a run: `conf` (JSON) for a synced pipeline; full refresh, dry run and variables for a managed one. */
function Trigger({ space, pipeline }: { space: SpaceContext; pipeline: PipelineDetail }) {
  const navigate = useNavigate();
  const queries = useQueryClient();
  const [open, setOpen] = useState(false);
  const [conf, setConf] = useState('{}');
  const [note, setNote] = useState('');
  const [fullRefresh, setFullRefresh] = useState(false);
  const [dryRun, setDryRun] = useState(false);
  const [variables, setVariables] = useState('{}');
  const [parseError, setParseError] = useState<string | null>(null);
  const [keys] = useState(() => new SubmissionKeys());
  const managed = pipeline.origin === 'managed';
  const trigger = useMutation({
    mutationFn: (body: Record<string, unknown>) =>
      space.sb.call(
        space.sb.raw.POST('/api/v1.0/spaces/{slug}/orchestration/pipelines/{pipeline_id}/trigger', {
          params: { path: { slug: space.slug, pipeline_id: pipeline.id } },
          body: body as never,
          headers: { 'Idempotency-Key': keys.keyFor(body) },
        }),
      ),
    onSuccess: (run: Run) => {
      void queries.invalidateQueries({ queryKey: ['runs', space.slug, pipeline.id] });
      navigate(space.href(`/runs/${run.id}`));
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const parsed = managed ? parseObject(variables, 'variables') : parseObject(conf, 'conf');
    if ('error' in parsed) return setParseError(parsed.error);
    setParseError(null);
    const body: Record<string, unknown> = managed
      ? { full_refresh: fullRefresh, dry_run: dryRun, ...(parsed.value ? { variables: parsed.value } : {}) }
      : { ...(parsed.value ? { conf: parsed.value } : {}), ...(note.trim() ? { note: note.trim() } : {}) };
    trigger.mutate(body);
  };
  return (
    <section className="trigger">
      {!open ? (
        <button type="button" className="primary" onClick={() => setOpen(true)}>
          Trigger a run…
        </button>
      ) : (
        <form onSubmit={submit}>
          {managed ? (
            <>
              <label>
                <input type="checkbox" checked={fullRefresh} onChange={(e) => setFullRefresh(e.target.checked)} /> Full refresh
              </label>
              <label>
                <input type="checkbox" checked={dryRun} onChange={(e) => setDryRun(e.target.checked)} /> Dry run
              </label>
              <label className="block">
                Variables (JSON)
                <textarea aria-label="variables" rows={3} value={variables} onChange={(e) => setVariables(e.target.value)} />
              </label>
            </>
          ) : (
            <>
              <label className="block">
                Conf (JSON)
                <textarea aria-label="conf" rows={3} value={conf} onChange={(e) => setConf(e.target.value)} />
              </label>
              <label className="block">
                Note <input aria-label="note" value={note} onChange={(e) => setNote(e.target.value)} />
              </label>
            </>
          )}
          <button type="submit" className="primary" disabled={trigger.isPending}>
            Trigger
          </button>
          <button type="button" className="link" onClick={() => setOpen(false)}>
            Cancel
          </button>
          {parseError ? (
            <div className="error" role="alert">
              {parseError}
            </div>
          ) : null}
          <ErrorBox error={trigger.error} title="Could not trigger" />
        </form>
      )}
    </section>
  );
}

/** The runs, newest first, filtered; the page's runs also drawn on the timeline. */
function Runs({ space, pipeline }: { space: SpaceContext; pipeline: PipelineDetail }) {
  const [params, setParams] = useSearchParams();
  const status = params.getAll('run_status').filter((s): s is (typeof RUN_STATUSES)[number] => (RUN_STATUSES as readonly string[]).includes(s));
  const runType = params.getAll('run_type').filter((s): s is (typeof RUN_TYPES)[number] => (RUN_TYPES as readonly string[]).includes(s));
  const page = Math.max(Number(params.get('runs_page')) || 1, 1);
  const set = (name: string, values: string[]) => {
    const next = new URLSearchParams(params);
    next.delete(name);
    next.delete('runs_page');
    for (const v of values) next.append(name, v);
    setParams(next, { replace: true, flushSync: true });
  };
  const from = dayOf(params.get('runs_from'));
  const to = dayOf(params.get('runs_to'));
  const query = {
    page,
    per_page: RUNS_PER_PAGE,
    ...(status.length ? { status } : {}),
    ...(runType.length ? { run_type: runType } : {}),
    // Whole days in UTC, both included.
    ...(from ? { started_from: `${from}T00:00:00.000Z` } : {}),
    ...(to ? { started_to: `${to}T23:59:59.999Z` } : {}),
  };
  const runs = useQuery({
    queryKey: ['runs', space.slug, pipeline.id, query],
    queryFn: () =>
      listPage(
        space.sb.raw.GET('/api/v1.0/spaces/{slug}/orchestration/pipelines/{pipeline_id}/runs', {
          params: { path: { slug: space.slug, pipeline_id: pipeline.id }, query },
        }),
      ),
    placeholderData: keepPreviousData,
    refetchInterval: (q) => (q.state.data?.items.some((r) => r.status === 'queued' || r.status === 'running') ? 3000 : false),
  });
  return (
    <section aria-label="runs">
      <h2>Run history</h2>
      {runs.data ? <Gantt runs={runs.data.items} now={new Date()} runHref={(id) => space.href(`/runs/${id}`)} /> : null}
      <form className="filters" onSubmit={(e) => e.preventDefault()}>
        <CheckboxGroup legend="Status" options={RUN_STATUSES} selected={status} onChange={(values) => set('run_status', values)} />
        <label>
          Started from{' '}
          <input type="date" aria-label="started from" value={from ?? ''} onChange={(e) => set('runs_from', e.target.value ? [e.target.value] : [])} />
        </label>
        <label>
          to <input type="date" aria-label="started to" value={to ?? ''} onChange={(e) => set('runs_to', e.target.value ? [e.target.value] : [])} />
        </label>
        <CheckboxGroup legend="Type" options={RUN_TYPES} selected={runType} onChange={(values) => set('run_type', values)} />
      </form>
      <ErrorBox error={runs.error} />
      {runs.isPending ? <Loading what="runs" /> : null}
      {runs.data && runs.data.items.length === 0 ? (
        <Empty>{status.length || runType.length || from || to ? 'No run matches these filters.' : 'No runs yet.'}</Empty>
      ) : null}
      {runs.data && runs.data.items.length > 0 ? (
        <>
          <table className="runs">
            <thead>
              <tr>
                <th>Run</th>
                <th>Status</th>
                <th>Type</th>
                <th>Started</th>
                <th className="num">Duration</th>
                <th className="num">Rows</th>
              </tr>
            </thead>
            <tbody>
              {runs.data.items.map((r) => (
                <tr key={r.id}>
                  <td>
                    <Link to={space.href(`/runs/${r.id}`)}>{r.external_id}</Link>
                  </td>
                  <td>
                    <StatusBadge status={r.status} />
                  </td>
                  <td>{r.run_type}</td>
                  <td title={formatInstant(r.started_at)}>{formatWhen(r.started_at)}</td>
                  <td className="num">{formatDuration(r.duration_seconds)}</td>
                  <td className="num">{formatCount(r.rows_loaded)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <Pager
            page={runs.data.page}
            totalPages={runs.data.totalPages}
            total={runs.data.total}
            noun="runs"
            onPage={(n) => {
              const next = new URLSearchParams(params);
              next.set('runs_page', String(n));
              setParams(next, { replace: true });
            }}
          />
        </>
      ) : null}
    </section>
  );
}

/** A managed pipeline's versions, newest first, each with its diff against the one before. */
function Versions({ space, pipeline }: { space: SpaceContext; pipeline: PipelineDetail }) {
  const [shown, setShown] = useState<string | null>(null);
  const path = { slug: space.slug, pipeline_id: pipeline.id };
  const versions = useQuery({
    queryKey: ['versions', space.slug, pipeline.id],
    queryFn: () =>
      listPage(space.sb.raw.GET('/api/v1.0/spaces/{slug}/orchestration/pipelines/{pipeline_id}/versions', { params: { path, query: { per_page: 100 } } })),
  });
  const diff = useQuery({
    queryKey: ['diff', space.slug, pipeline.id, shown],
    enabled: shown !== null,
    queryFn: (): Promise<VersionDiff> =>
      space.sb.call(
        space.sb.raw.GET('/api/v1.0/spaces/{slug}/orchestration/pipelines/{pipeline_id}/versions/{version_id}/diff', {
          params: { path: { ...path, version_id: shown as string } },
        }),
      ),
  });
  return (
    <section aria-label="versions">
      <h2>Versions</h2>
      <p>
        <Link to={space.href(`/editor/${pipeline.id}`)}>Edit the definition</Link>
      </p>
      <ErrorBox error={versions.error} />
      {versions.data?.items.length === 0 ? <Empty>No versions.</Empty> : null}
      <ul className="versions">
        {versions.data?.items.map((v: PipelineVersion) => (
          <li key={v.id}>
            <button type="button" className="link" aria-expanded={shown === v.id} onClick={() => setShown(shown === v.id ? null : v.id)}>
              Version {v.number}
            </button>{' '}
            {v.message ?? ''}{' '}
            <span className="muted" title={formatInstant(v.created_at)}>
              {formatWhen(v.created_at)}
            </span>
            {shown === v.id ? (
              <div>
                <ErrorBox error={diff.error} />
                {diff.data ? (
                  <>
                    <p className="muted">
                      {diff.data.from ? `From version ${diff.data.from.number}` : 'The first version'}: steps added {diff.data.steps.added.join(', ') || 'none'}
                      ; changed {diff.data.steps.changed.join(', ') || 'none'}; removed {diff.data.steps.removed.join(', ') || 'none'}
                    </p>
                    <DiffView text={diff.data.text_diff} />
                  </>
                ) : null}
              </div>
            ) : null}
          </li>
        ))}
      </ul>
    </section>
  );
}
