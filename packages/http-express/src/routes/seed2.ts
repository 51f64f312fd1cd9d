import { notFound, type PipelineDetail, pipelineStatus, type Run, type Services } from '@signalbox/core';
import { runDto } from '../dto';
import { type Ctx, definitionRoute, type RouteSpec, route } from '../route';
import { bodySchemas as B, definitionRequestSchema, querySchemas as Q } from '../schemas';
import { noContent, ok } from './replies';

/**
 * The seed-2 dialect: managed pipelines addressed by name under `/api/v1/pipelines`, every answer
 * in `{data}` (lists with `meta`). Each route calls the use case its canonical twin calls and
 * only reshapes the answer; the space comes from a header, or is the caller's only one.
 */

export const SEED2_BASE = '/api/v1';
export const SPACE_HEADER = 'X-Signalbox-Space';

const spaceHeader = {
  name: SPACE_HEADER,
  description: 'The space’s slug. Without it, the only space the caller can see; several (or none) is 400 `SPACE_REQUIRED`.',
  schema: { type: 'string' },
};

type C = Ctx<unknown, unknown>;

const spaceOf = async (c: C, s: Services) => (await s.spaces.chosen(c.actor, c.header(SPACE_HEADER), SPACE_HEADER)).slug;

/** The space and the id of the managed pipeline the path names. */
async function named(c: C, s: Services): Promise<{ slug: string; id: string }> {
  const slug = await spaceOf(c, s);
  return { slug, id: await s.managed.idByName(c.actor, slug, c.params.pipeline_name) };
}

/** A pipeline as the seed-2 clients read it, from the canonical wire form. */
function pipelineOf(d: PipelineDetail) {
  const p = d.pipeline;
  const run = d.lastRun ? runDto(d.lastRun) : null;
  return {
    name: p.name,
    version: p.managed?.currentVersion.version ?? null,
    status: pipelineStatus(p),
    schedule: p.schedule,
    last_run: run && { id: run.id, status: run.status, started_at: run.started_at, duration_ms: run.duration_ms, rows_loaded: run.rows_loaded },
    next_run_at: p.nextRunAt ? p.nextRunAt.toISOString() : null,
  };
}

/** A run as the seed-2 clients read it; `stage` is `queued` until its engine starts it. */
function runOf(r: Run, pipeline: string) {
  const d = runDto(r);
  return {
    id: d.id,
    pipeline,
    status: d.status,
    started_at: d.started_at,
    progress: { stage: d.progress?.stage ?? 'queued', rows_processed: d.progress?.rows_processed ?? 0 },
    finished_at: d.finished_at,
    duration_ms: d.duration_ms,
    rows_loaded: d.rows_loaded,
  };
}

const page = (total: number, p: number, perPage: number) => ({ total, page: p, per_page: perPage });
const P = '/pipelines';
const TAG = 'seed-2 dialect';

export const seed2Routes: RouteSpec[] = [
  route({
    method: 'get',
    base: SEED2_BASE,
    path: P,
    operationId: 'seed2ListPipelines',
    tag: TAG,
    who: 'member',
    summary: 'Managed pipelines by name, `{data, meta}`; `per_page` default 20, at most 100.',
    query: Q.seed2Pipelines,
    headers: [spaceHeader],
    responses: { 200: { description: 'A page of pipelines', body: 'Seed2PipelinePage' } },
    errors: [400, 404],
    handle: async (c, s) => {
      const slug = await spaceOf(c, s);
      const q = c.query;
      const found = await s.pipelines.list(c.actor, slug, { origin: ['managed'], status: q.status }, { page: q.page, perPage: q.per_page });
      // The list holds no last run; each pipeline's is read as its own GET reads it.
      const details = await Promise.all(found.items.map((v) => s.pipelines.get(c.actor, slug, v.pipeline.id)));
      return ok({ data: details.map(pipelineOf), meta: page(found.total, q.page, q.per_page) });
    },
  }),
  route({
    method: 'get',
    base: SEED2_BASE,
    path: `${P}/{pipeline_name}`,
    operationId: 'seed2GetPipeline',
    tag: TAG,
    who: 'member',
    summary: 'One managed pipeline by name',
    headers: [spaceHeader],
    responses: { 200: { description: 'The pipeline', body: 'Seed2PipelineData' } },
    errors: [400, 404],
    handle: async (c, s) => {
      const { slug, id } = await named(c, s);
      return ok({ data: pipelineOf(await s.pipelines.get(c.actor, slug, id)) });
    },
  }),
  definitionRoute({
    method: 'post',
    base: SEED2_BASE,
    path: P,
    operationId: 'seed2CreatePipeline',
    tag: TAG,
    who: 'editor',
    summary: 'Create a managed pipeline from a definition, JSON or YAML, as `createPipeline` does',
    body: definitionRequestSchema,
    headers: [spaceHeader],
    responses: { 201: { description: 'The new pipeline', body: 'Seed2PipelineData' } },
    errors: [400, 403, 404, 409, 503],
    handle: async (c, s) => ({ status: 201, json: { data: pipelineOf(await s.managed.create(c.actor, await spaceOf(c, s), c.body)) } }),
  }),
  definitionRoute({
    method: 'put',
    base: SEED2_BASE,
    path: `${P}/{pipeline_name}`,
    operationId: 'seed2UpdatePipeline',
    tag: TAG,
    who: 'editor',
    summary: 'Replace a managed pipeline’s definition: 201 with a new version, 200 when the content is unchanged',
    body: definitionRequestSchema,
    headers: [spaceHeader],
    responses: {
      201: { description: 'A new version', body: 'Seed2PipelineData' },
      200: { description: 'Unchanged', body: 'Seed2PipelineData' },
    },
    errors: [400, 403, 404, 409, 503],
    handle: async (c, s) => {
      const { slug, id } = await named(c, s);
      const { pipeline, created } = await s.managed.update(c.actor, slug, id, c.body);
      return { status: created ? 201 : 200, json: { data: pipelineOf(pipeline) } };
    },
  }),
  route({
    method: 'delete',
    base: SEED2_BASE,
    path: `${P}/{pipeline_name}`,
    operationId: 'seed2DeletePipeline',
    tag: TAG,
    who: 'editor',
    summary: 'Delete a managed pipeline with its versions and its whole run history',
    headers: [spaceHeader],
    responses: { 204: { description: 'Deleted' } },
    errors: [400, 403, 404, 409],
    handle: async (c, s) => {
      const { slug, id } = await named(c, s);
      await s.managed.delete(c.actor, slug, id);
      return noContent();
    },
  }),
  route({
    method: 'post',
    base: SEED2_BASE,
    path: `${P}/{pipeline_name}/runs`,
    operationId: 'seed2TriggerRun',
    tag: TAG,
    who: 'editor',
    summary: 'Start a run (`full_refresh`, `dry_run`, `variables`), as `triggerPipeline` does',
    body: B.seed2Trigger,
    bodyOptional: true,
    headers: [spaceHeader],
    responses: { 201: { description: 'The new run', body: 'Seed2RunData' } },
    errors: [400, 403, 404, 409, 429, 503],
    handle: async (c, s) => {
      const { slug, id } = await named(c, s);
      const b = c.body;
      const { run } = await s.runs.trigger(c.actor, slug, id, { fullRefresh: b.full_refresh, dryRun: b.dry_run, variables: b.variables });
      return { status: 201, json: { data: runOf(run, c.params.pipeline_name) } };
    },
  }),
  route({
    method: 'get',
    base: SEED2_BASE,
    path: `${P}/{pipeline_name}/runs`,
    operationId: 'seed2ListRuns',
    tag: TAG,
    who: 'member',
    summary: 'Runs of a pipeline, newest first; `limit` is the page size as the seed’s clients send it',
    query: Q.seed2Runs,
    headers: [spaceHeader],
    responses: { 200: { description: 'A page of runs', body: 'Seed2RunPage' } },
    errors: [400, 404],
    handle: async (c, s) => {
      const { slug, id } = await named(c, s);
      const perPage = c.query.limit ?? c.query.per_page;
      const runs = await s.runs.list(c.actor, slug, id, {}, { page: c.query.page, perPage });
      return ok({ data: runs.items.map((r) => runOf(r, c.params.pipeline_name)), meta: page(runs.total, c.query.page, perPage) });
    },
  }),
  route({
    method: 'get',
    base: SEED2_BASE,
    path: `${P}/{pipeline_name}/runs/{run_id}`,
    operationId: 'seed2GetRun',
    tag: TAG,
    who: 'member',
    summary: 'One run of the pipeline; a run of another pipeline is 404',
    headers: [spaceHeader],
    responses: { 200: { description: 'The run', body: 'Seed2RunData' } },
    errors: [400, 404],
    handle: async (c, s) => {
      const { slug, id } = await named(c, s);
      const { run } = await s.runs.get(c.actor, slug, c.params.run_id);
      if (run.pipelineId !== id) throw notFound('run', c.params.run_id);
      return ok({ data: runOf(run, c.params.pipeline_name) });
    },
  }),
];
