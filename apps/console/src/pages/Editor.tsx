import { ApiError } from '@signalbox/client';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useMemo, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { ErrorBox, Loading } from '../components/bits';
import { YamlEditor } from '../components/YamlEditor';
import type { PipelineDetail, PipelineVersion, Validation } from '../lib/api';
import { placeDetails } from '../lib/diagnostics';
import { type SpaceContext, useSpace } from '../space';

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

/** A definition sent as the YAML (or JSON) text it is, so the server's lines are the editor's. */
const asText = (text: string) => ({
  body: text as never,
  bodySerializer: (b: unknown) => b as string,
  headers: { 'Content-Type': /^\s*[{[]/.test(text) ? 'application/json' : 'application/yaml' },
});

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
    queryFn: async () => {
      const path = { slug: space.slug, pipeline_id: pipelineId as string };
      const pipeline: PipelineDetail = await space.sb.call(
        space.sb.raw.GET('/api/v1.0/spaces/{slug}/orchestration/pipelines/{pipeline_id}', { params: { path } }),
      );
      if (!pipeline.current_version) return { pipeline, text: STARTER };
      const version: PipelineVersion = await space.sb.call(
        space.sb.raw.GET('/api/v1.0/spaces/{slug}/orchestration/pipelines/{pipeline_id}/versions/{version_id}', {
          params: { path: { ...path, version_id: pipeline.current_version.id } },
        }),
      );
      return { pipeline, text: version.source };
    },
  });
  if (pipelineId !== undefined && source.isPending) return <Loading what="the definition" />;
  if (source.error) return <ErrorBox error={source.error} />;
  return <EditorForm key={pipelineId ?? 'new'} space={space} pipeline={source.data?.pipeline ?? null} initial={source.data?.text ?? STARTER} />;
}

function EditorForm({ space, pipeline, initial }: { space: SpaceContext; pipeline: PipelineDetail | null; initial: string }) {
  const navigate = useNavigate();
  const queries = useQueryClient();
  const [text, setText] = useState(initial);
  const settled = useSettled(text);
  const validation = useQuery({
    queryKey: ['validate', space.slug, settled],
    queryFn: (): Promise<Validation> =>
      space.sb.call(
        space.sb.raw.POST('/api/v1.0/spaces/{slug}/orchestration/pipelines/validate', { params: { path: { slug: space.slug } }, ...asText(settled) }),
      ),
    staleTime: Number.POSITIVE_INFINITY,
    placeholderData: keepPreviousData,
  });
  const apply = useMutation({
    mutationFn: (definition: string): Promise<PipelineDetail> =>
      pipeline
        ? space.sb.call(
            space.sb.raw.PUT('/api/v1.0/spaces/{slug}/orchestration/pipelines/{pipeline_id}', {
              params: { path: { slug: space.slug, pipeline_id: pipeline.id } },
              ...asText(definition),
            }),
          )
        : space.sb.call(
            space.sb.raw.POST('/api/v1.0/spaces/{slug}/orchestration/pipelines', { params: { path: { slug: space.slug } }, ...asText(definition) }),
          ),
    onSuccess: (saved) => {
      void queries.invalidateQueries({ queryKey: ['pipelines', space.slug] });
      void queries.invalidateQueries({ queryKey: ['pipeline', space.slug, saved.id] });
      void queries.invalidateQueries({ queryKey: ['versions', space.slug, saved.id] });
      navigate(space.href(`/pipelines/${saved.id}`));
    },
  });

  // The problems shown are those of the text they were found in: the last validation, or a refused apply.
  const problems = useMemo(() => {
    const refused = apply.error instanceof ApiError ? apply.error.details : [];
    if (refused.length) return placeDetails(text, refused, 'error');
    // While a newer text waits to be checked, the last check's problems stay where they were.
    if (!validation.data) return [];
    return [...placeDetails(text, validation.data.errors, 'error'), ...placeDetails(text, validation.data.warnings, 'warning')];
  }, [apply.error, validation.data, text]);

  const v = validation.data;
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
          {v && settled === text && !validation.isPlaceholderData ? (
            v.valid ? (
              <p className="ok">Valid: {v.steps.map((s) => s.name).join(' → ') || 'no steps'}</p>
            ) : (
              <p className="invalid">{v.errors.length === 1 ? '1 problem' : `${v.errors.length} problems`}</p>
            )
          ) : (
            <p className="muted">Checking…</p>
          )}
          <ul>
            {problems.map((p) => (
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
