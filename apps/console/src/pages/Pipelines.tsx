import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { CheckboxGroup, Empty, ErrorBox, Loading, Pager, StatusBadge } from '../components/bits';
import { type ListPage, listPage, type Pipeline, type Team } from '../lib/api';
import { CRITICALITIES, DAYS, type ListFilters, listQuery, ORIGINS, readFilters, STATUSES, writeFilters } from '../lib/filters';
import { formatCount, formatDuration, formatInstant, formatRate, formatWhen } from '../lib/format';
import { type SpaceContext, useSpace } from '../space';

/** Every team of the space (for the filter and the owner column). */
export function useTeams(space: SpaceContext) {
  return useQuery({
    queryKey: ['teams', space.slug],
    queryFn: (): Promise<Team[]> =>
      space.sb.call(space.sb.raw.GET('/api/v1.0/spaces/{slug}/teams', { params: { path: { slug: space.slug }, query: { per_page: 500 } } })),
    staleTime: 60_000,
  });
}

/** The pipelines of the space with every filter of the list, summaries, watch toggles and ownership. */
export function Pipelines() {
  const space = useSpace();
  const [params, setParams] = useSearchParams();
  const filters = readFilters(params);
  // Applied at once (not in a transition), so a checkbox never shows its old state in between.
  const set = (change: Partial<ListFilters>) => setParams(writeFilters({ ...filters, page: 1, ...change }), { flushSync: true });
  const teams = useTeams(space);
  const list = useQuery({
    queryKey: ['pipelines', space.slug, listQuery(filters)],
    // Without `fields`, every item is a whole pipeline.
    queryFn: () =>
      listPage(
        space.sb.raw.GET('/api/v1.0/spaces/{slug}/orchestration/pipelines', { params: { path: { slug: space.slug }, query: listQuery(filters) } }),
      ) as Promise<ListPage<Pipeline>>,
    placeholderData: keepPreviousData,
  });
  const filtered = params.toString() !== '' && !(params.size === 1 && params.has('page'));

  return (
    <div>
      <h1>Pipelines</h1>
      <Filters filters={filters} set={set} teams={teams.data ?? []} />
      <ErrorBox error={list.error} />
      {list.isPending ? <Loading what="pipelines" /> : null}
      {list.data && list.data.items.length === 0 ? (
        <Empty>
          {filtered ? (
            <>
              No pipeline matches these filters.{' '}
              <button type="button" className="link" onClick={() => setParams(new URLSearchParams())}>
                Clear the filters
              </button>
            </>
          ) : (
            <>
              No pipelines in this space yet: sync a connector, or <Link to={space.href('/editor')}>write one</Link>.
            </>
          )}
        </Empty>
      ) : null}
      {list.data && list.data.items.length > 0 ? (
        <>
          <table className="pipelines">
            <thead>
              <tr>
                <th aria-label="watched" />
                <th>Name</th>
                <th>Status</th>
                <th>Last run</th>
                <th>Team</th>
                <th>Criticality</th>
                <th>Owner</th>
                <th className="num">Runs ({filters.days} d)</th>
                <th className="num">Success</th>
                <th className="num">p95</th>
                <th>Origin</th>
              </tr>
            </thead>
            <tbody>
              {list.data.items.map((p) => (
                <PipelineRow key={p.id} pipeline={p} teams={teams.data ?? []} space={space} />
              ))}
            </tbody>
          </table>
          <Pager page={list.data.page} totalPages={list.data.totalPages} total={list.data.total} noun="pipelines" onPage={(page) => set({ page })} />
        </>
      ) : null}
    </div>
  );
}

function Filters({ filters, set, teams }: { filters: ListFilters; set: (change: Partial<ListFilters>) => void; teams: Team[] }) {
  // The text filters are sent once typing pauses.
  const [q, setQ] = useState(filters.q);
  const [owner, setOwner] = useState(filters.owner);
  useEffect(() => setQ(filters.q), [filters.q]);
  useEffect(() => setOwner(filters.owner), [filters.owner]);
  useEffect(() => {
    if (q === filters.q && owner === filters.owner) return;
    const timer = setTimeout(() => set({ q, owner }), 300);
    return () => clearTimeout(timer);
  });
  return (
    <form className="filters" onSubmit={(e) => e.preventDefault()}>
      <input type="search" aria-label="search pipelines" placeholder="Search name, id, owner, tags…" value={q} onChange={(e) => setQ(e.target.value)} />
      <CheckboxGroup legend="Status" options={STATUSES} selected={filters.status} onChange={(status) => set({ status })} />
      <CheckboxGroup legend="Criticality" options={CRITICALITIES} selected={filters.criticality} onChange={(criticality) => set({ criticality })} />
      <CheckboxGroup legend="Origin" options={ORIGINS} selected={filters.origin} onChange={(origin) => set({ origin })} />
      <label>
        Team{' '}
        <select aria-label="team" value={filters.teamId} onChange={(e) => set({ teamId: e.target.value })}>
          <option value="">any</option>
          {teams.map((t) => (
            <option key={t.id} value={t.id}>
              {t.name}
            </option>
          ))}
        </select>
      </label>
      <input aria-label="owner" placeholder="Owner" value={owner} onChange={(e) => setOwner(e.target.value)} />
      <label>
        <input type="checkbox" checked={filters.watchedOnly} onChange={(e) => set({ watchedOnly: e.target.checked })} /> Watched only
      </label>
      <label>
        Days{' '}
        <select aria-label="days" value={filters.days} onChange={(e) => set({ days: Number(e.target.value) })}>
          {DAYS.map((d) => (
            <option key={d} value={d}>
              {d}
            </option>
          ))}
        </select>
      </label>
    </form>
  );
}

function PipelineRow({ pipeline: p, teams, space }: { pipeline: Pipeline; teams: Team[]; space: SpaceContext }) {
  const queries = useQueryClient();
  const refresh = () => queries.invalidateQueries({ queryKey: ['pipelines', space.slug] });
  const path = { slug: space.slug, pipeline_id: p.id };
  const watch = useMutation({
    mutationFn: (on: boolean) =>
      space.sb.call(
        on
          ? space.sb.raw.PUT('/api/v1.0/spaces/{slug}/orchestration/pipelines/{pipeline_id}/watch', { params: { path } })
          : space.sb.raw.DELETE('/api/v1.0/spaces/{slug}/orchestration/pipelines/{pipeline_id}/watch', { params: { path } }),
      ),
    onSuccess: refresh,
  });
  const team = useMutation({
    mutationFn: (teamId: string | null) =>
      space.sb.call(space.sb.raw.PATCH('/api/v1.0/spaces/{slug}/orchestration/pipelines/{pipeline_id}/team', { params: { path }, body: { team_id: teamId } })),
    onSuccess: refresh,
  });
  const criticality = useMutation({
    mutationFn: (value: Pipeline['criticality']) =>
      space.sb.call(
        space.sb.raw.PATCH('/api/v1.0/spaces/{slug}/orchestration/pipelines/{pipeline_id}/criticality', { params: { path }, body: { criticality: value } }),
      ),
    onSuccess: refresh,
  });
  const editor = space.can('editor');
  const teamName = teams.find((t) => t.id === p.team_id)?.name ?? '—';
  const error = watch.error ?? team.error ?? criticality.error;
  return (
    <>
      <tr>
        <td>
          <button
            type="button"
            className={`watch${p.watched ? ' on' : ''}`}
            aria-pressed={p.watched}
            aria-label={p.watched ? `stop watching ${p.name}` : `watch ${p.name}`}
            disabled={watch.isPending}
            onClick={() => watch.mutate(!p.watched)}
          >
            {p.watched ? '★' : '☆'}
          </button>
        </td>
        <td>
          <Link to={space.href(`/pipelines/${p.id}`)}>{p.name}</Link>
          {p.tags.length ? <div className="tags">{p.tags.join(' · ')}</div> : null}
        </td>
        <td>
          <StatusBadge status={p.status} />
        </td>
        <td title={formatInstant(p.last_run_at)}>
          <StatusBadge status={p.last_run_status} /> {formatWhen(p.last_run_at)}
        </td>
        <td>
          {editor ? (
            <select aria-label={`team of ${p.name}`} value={p.team_id ?? ''} disabled={team.isPending} onChange={(e) => team.mutate(e.target.value || null)}>
              <option value="">—</option>
              {teams.map((t) => (
                <option key={t.id} value={t.id}>
                  {t.name}
                </option>
              ))}
            </select>
          ) : (
            teamName
          )}
        </td>
        <td>
          {editor ? (
            <select
              aria-label={`criticality of ${p.name}`}
              value={p.criticality ?? ''}
              disabled={criticality.isPending}
              onChange={(e) => criticality.mutate((e.target.value || null) as Pipeline['criticality'])}
            >
              <option value="">—</option>
              {CRITICALITIES.map((c) => (
                <option key={c} value={c}>
                  {c}
                </option>
              ))}
            </select>
          ) : (
            (p.criticality ?? '—')
          )}
        </td>
        <td>{p.owner ?? '—'}</td>
        <td className="num">{formatCount(p.summary.runs)}</td>
        <td className="num">{formatRate(p.summary.success_rate)}</td>
        <td className="num">{formatDuration(p.summary.p95_duration_seconds)}</td>
        <td>{p.origin === 'managed' ? 'managed' : p.provider}</td>
      </tr>
      {error ? (
        <tr>
          <td colSpan={11}>
            <ErrorBox error={error} />
          </td>
        </tr>
      ) : null}
    </>
  );
}
