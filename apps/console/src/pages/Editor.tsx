import { ApiError, definitionBody } from '@signalbox/client';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useMemo, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { ErrorBox, Loading } from '../components/bits';
import { type Problems, YamlEditor } from '../components/YamlEditor';
import type { PipelineDetail, PipelineVersion } from '../lib/api';
import { placeDetails } from '../lib/diagnostics';
import { pipelineQuery, type SpaceContext, useSpace } from '../space';

const STARTER = `name: my-pipeline
description: What it makes, for whom.
schedule: "0 6 * * *"
sources:
  - name: numbers
    query: select n from generate_series(1, 10) as g(n)
transforms:
  - name: squares
    query: select n, n * n as square from numbers
destinations:
  - name: analytics.squares
    from: squares
    mode: replace
`;

/** How long typing must pause before the text is validated. */
const VALIDATE_AFTER_MS = 400;

/** The text typed, once typing has paused. */
function useSettled(text: string): string {
  const [settled, setSettled] = useState(text);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(text), VALIDATE_AFTER_MS);
    return () => clearTimeout(timer);
  }, [text]);
  return settled;
}

/** The YAML editor of managed pipelines: validated as you type, errors at their line; apply creates or makes a new version. */
export function Editor() {
  const space = useSpace();
  const { pipelineId } = useParams();
  const source = useQuery({
    queryKey: ['source', space.slug, pipelineId],
    enabled: pipelineId !== undefined,
    // Always the current version as it is now: editing an older one would save it back over a newer.
    staleTime: 0,
    refetchOnMount: 'always',
    queryFn: async () => {
      const path = { slug: space.slug, pipeline_id: pipelineId as string };
      const pipeline = await pipelineQuery(space, path.pipeline_id).queryFn();
      if (!pipeline.current_version) return { pipeline, text: STARTER };
      const version: PipelineVersion = await space.sb.call(
        space.sb.raw.GET('/api/v1.0/spaces/{slug}/orchestration/pipelines/{pipeline_id}/versions/{version_id}', {
          params: { path: { ...path, version_id: pipeline.current_version.id } },
        }),
      );
      return { pipeline, text: version.source };
    },
  });
  if (pipelineId !== undefined && (source.isPending || source.isFetching)) return <Loading what="the definition" />;
  if (source.error) return <ErrorBox error={source.error} />;
  const pipeline = source.data?.pipeline ?? null;
  return <EditorForm key={pipeline?.current_version?.id ?? 'new'} space={space} pipeline={pipeline} initial={source.data?.text ?? STARTER} />;
}

function EditorForm({ space, pipeline, initial }: { space: SpaceContext; pipeline: PipelineDetail | null; initial: string }) {
  const navigate = useNavigate();
  const queries = useQueryClient();
  const [text, setText] = useState(initial);
  const settled = useSettled(text);
  const validation = useQuery({
    queryKey: ['validate', space.slug, settled],
    // The problems keep the text they were found in: their lines are that text's.
    queryFn: async () => ({ text: settled, result: await space.sb.pipelines.validate(settled) }),
    staleTime: Number.POSITIVE_INFINITY,
    placeholderData: keepPreviousData,
  });
  const apply = useMutation({
    mutationFn: (definition: string): Promise<PipelineDetail> =>
      pipeline
        ? space.sb.call(
            space.sb.raw.PUT('/api/v1.0/spaces/{slug}/orchestration/pipelines/{pipeline_id}', {
              params: { path: { slug: space.slug, pipeline_id: pipeline.id } },
              ...definitionBody(definition),
            } as never),
          )
        : space.sb.call(
            space.sb.raw.POST('/api/v1.0/spaces/{slug}/orchestration/pipelines', {
              params: { path: { slug: space.slug } },
              ...definitionBody(definition),
            } as never),
          ),
    onSuccess: (saved) => {
      void queries.invalidateQueries({ queryKey: ['pipelines', space.slug] });
      void queries.invalidateQueries({ queryKey: ['pipeline', space.slug, saved.id] });
      void queries.invalidateQueries({ queryKey: ['versions', space.slug, saved.id] });
      queries.removeQueries({ queryKey: ['source', space.slug, saved.id] });
      navigate(space.href(`/pipelines/${saved.id}`));
    },
  });

  // The problems shown, with the text they were found in: a refused save's, else the last check's.
  const problems = useMemo((): Problems => {
    const refused = apply.error instanceof ApiError ? apply.error.details : [];
    if (refused.length && apply.variables !== undefined) return { text: apply.variables, placed: placeDetails(apply.variables, refused, 'error') };
    if (!validation.data) return { text: '', placed: [] };
    const { text: checked, result } = validation.data;
    return { text: checked, placed: [...placeDetails(checked, result.errors, 'error'), ...placeDetails(checked, result.warnings, 'warning')] };
  }, [apply.error, apply.variables, validation.data]);

  const v = validation.data?.text === text && !validation.isPlaceholderData ? validation.data.result : undefined;
  return (
    <div className="editor">
      <p className="crumbs">
        <Link to={space.href('/pipelines')}>Pipelines</Link> /{' '}
        {pipeline ? <Link to={space.href(`/pipelines/${pipeline.id}`)}>{pipeline.name}</Link> : 'new pipeline'}
      </p>
      <h1>{pipeline ? `Edit ${pipeline.name}` : 'New pipeline'}</h1>
      <div className="editor-grid">
        <YamlEditor
          value={text}
          onChange={(next) => {
            setText(next);
            apply.reset();
          }}
          problems={problems}
        />
        <aside className="problems" aria-label="validation">
          <ErrorBox error={validation.error} title="Could not validate" />
          {v ? (
            v.valid ? (
              <p className="ok">Valid: {v.steps.map((s) => s.name).join(' → ') || 'no steps'}</p>
            ) : (
              <p className="invalid">{v.errors.length === 1 ? '1 problem' : `${v.errors.length} problems`}</p>
            )
          ) : (
            <p className="muted">Checking…</p>
          )}
          <ul>
            {problems.placed.map((p) => (
              <li key={`${p.from}-${p.message}`} className={`problem problem-${p.severity}`}>
                <span className="line">line {p.line}</span> {p.message}
              </li>
            ))}
          </ul>
          <button type="button" className="primary" disabled={apply.isPending || !space.can('editor')} onClick={() => apply.mutate(text)}>
            {pipeline ? 'Save a new version' : 'Create the pipeline'}
          </button>
          {!space.can('editor') && space.role !== null ? <p className="muted">Editors of this space can save.</p> : null}
          <ErrorBox error={apply.error} title="Not saved" />
        </aside>
      </div>
    </div>
  );
}
