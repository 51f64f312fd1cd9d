import type { CommentTarget, CommentTargetKind, PipelineFilter } from '@signalbox/core';
import { commentDto, pipelineDetailDto, pipelineWireFields, runDetailDto, runDto, syncDto } from '../dto';
import { type Ctx, type Input, list, pageRequest, type RouteSpec, renderedList, route } from '../route';
import { bodySchemas as B, querySchemas as Q } from '../schemas';
import { conditional, date, heldTags, ifNoneMatch, noContent, ORCHESTRATION, ok } from './replies';

/** The seed contract under `/spaces/{slug}/orchestration`. */

const P = ORCHESTRATION;

const runLocation = (c: Ctx<unknown, unknown>, runId: string) => `${c.req.baseUrl}/spaces/${c.params.slug}/orchestration/runs/${runId}`;

/** The list filters as the core takes them, from the checked query. */
const pipelineFilter = (q: Input<typeof Q.pipelines>): PipelineFilter => ({
  provider: q.provider,
  origin: q.origin,
  status: q.status,
  owner: q.owner,
  criticality: q.criticality,
  teamId: q.team_id,
  connectorId: q.connector_id,
  q: q.q,
  watchedOnly: q.watched_only,
  includeRemoved: q.include_removed,
});

const commentRoutes = (kind: CommentTargetKind, segment: string, param: string, label: string): RouteSpec[] => {
  const target = (c: Ctx<unknown, unknown>): CommentTarget => ({ kind, id: c.params[param] });
  return [
    route({
      method: 'get',
      path: `${P}/${segment}/{${param}}/comments`,
      operationId: `list${label}Comments`,
      tag: 'comments',
      who: 'member',
      summary: `Comments on a ${label === 'Run' ? 'run' : 'task run'}, oldest first`,
      query: Q.page,
      responses: { 200: { description: 'A page of comments', body: { list: 'Comment' } } },
      errors: [400, 404],
      handle: async (c, s) => list(c.query, await s.comments.list(c.actor, c.params.slug, target(c), pageRequest(c.query)), commentDto),
    }),
    route({
      method: 'post',
      path: `${P}/${segment}/{${param}}/comments`,
      operationId: `add${label}Comment`,
      tag: 'comments',
      who: 'member',
      summary: `Comment on a ${label === 'Run' ? 'run' : 'task run'}`,
      body: B.comment,
      responses: { 201: { description: 'The new comment', body: 'Comment' } },
      errors: [400, 404],
      handle: async (c, s) => ({ status: 201, json: commentDto(await s.comments.add(c.actor, c.params.slug, target(c), c.body.body)) }),
    }),
  ];
};

const editComment = (method: 'put' | 'patch'): RouteSpec =>
  route({
    method,
    path: `${P}/comments/{comment_id}`,
    operationId: method === 'put' ? 'replaceComment' : 'editComment',
    tag: 'comments',
    who: 'the author',
    summary: `Edit one's own comment (${method.toUpperCase()} and ${method === 'put' ? 'PATCH' : 'PUT'} are the same: the body is the only field)`,
    body: B.comment,
    responses: { 200: { description: 'The comment', body: 'Comment' } },
    errors: [400, 403, 404],
    handle: async (c, s) => ok(commentDto(await s.comments.edit(c.actor, c.params.slug, c.params.comment_id, c.body.body))),
  });

/** How long `POST …/sync?wait=true` waits before answering 202 with the sync as it stands. */
export const DEFAULT_SYNC_WAIT_MS = 60_000;

export const orchestrationRoutes = (syncWaitMs = DEFAULT_SYNC_WAIT_MS): RouteSpec[] => [
  route({
    method: 'get',
    path: `${P}/pipelines`,
    operationId: 'listPipelines',
    tag: 'pipelines',
    who: 'member',
    summary: 'Pipelines by name, filtered, each with its summary over `days` and whether the caller watches it',
    query: Q.pipelines,
    headers: [ifNoneMatch],
    responses: {
      200: { description: 'A page of pipelines (with `fields`, each holds only the fields asked for)', body: { list: 'Pipeline', or: 'PipelineFields' } },
      304: { description: 'Not modified: the page of the `ETag` in `If-None-Match` is still the answer' },
    },
    errors: [400, 404],
    handle: async (c, s) =>
      conditional(
        c,
        await s.pipelines.listRendered(
          c.actor,
          c.params.slug,
          pipelineFilter(c.query),
          pageRequest(c.query),
          c.query.days,
          pipelineWireFields(c.query.fields),
          heldTags(c),
        ),
        (page, headers) => renderedList(c.query, page, headers),
      ),
  }),
  route({
    method: 'get',
    path: `${P}/pipelines/{pipeline_id}`,
    operationId: 'getPipeline',
    tag: 'pipelines',
    who: 'member',
    summary: 'One pipeline with its last run, summary and `watched`',
    query: Q.pipeline,
    headers: [ifNoneMatch],
    responses: {
      200: { description: 'The pipeline', body: 'PipelineDetail' },
      304: { description: 'Not modified: the pipeline of the `ETag` in `If-None-Match` is still the answer' },
    },
    errors: [400, 404],
    handle: async (c, s) =>
      conditional(c, await s.pipelines.getTagged(c.actor, c.params.slug, c.params.pipeline_id, c.query.days, heldTags(c)), (d, headers) => ({
        status: 200,
        json: pipelineDetailDto(d),
        headers,
      })),
  }),
  route({
    method: 'patch',
    path: `${P}/pipelines/{pipeline_id}/team`,
    operationId: 'setPipelineTeam',
    tag: 'pipelines',
    who: 'editor',
    summary: 'Set (or clear with null) the owning team; the team must be of this space',
    body: B.setTeam,
    responses: { 200: { description: 'The pipeline', body: 'PipelineDetail' } },
    errors: [400, 403, 404],
    handle: async (c, s) => ok(pipelineDetailDto(await s.pipelines.setTeam(c.actor, c.params.slug, c.params.pipeline_id, c.body.team_id))),
  }),
  route({
    method: 'patch',
    path: `${P}/pipelines/{pipeline_id}/criticality`,
    operationId: 'setPipelineCriticality',
    tag: 'pipelines',
    who: 'editor',
    summary: 'Set (or clear with null) the criticality',
    body: B.setCriticality,
    responses: { 200: { description: 'The pipeline', body: 'PipelineDetail' } },
    errors: [400, 403, 404],
    handle: async (c, s) => ok(pipelineDetailDto(await s.pipelines.setCriticality(c.actor, c.params.slug, c.params.pipeline_id, c.body.criticality))),
  }),
  route({
    method: 'put',
    path: `${P}/pipelines/{pipeline_id}/watch`,
    operationId: 'watchPipeline',
    tag: 'pipelines',
    who: 'member',
    summary: 'Watch a pipeline (idempotent)',
    responses: { 204: { description: 'Watching' } },
    errors: [404],
    handle: async (c, s) => {
      await s.pipelines.watch(c.actor, c.params.slug, c.params.pipeline_id);
      return noContent();
    },
  }),
  route({
    method: 'delete',
    path: `${P}/pipelines/{pipeline_id}/watch`,
    operationId: 'unwatchPipeline',
    tag: 'pipelines',
    who: 'member',
    summary: 'Stop watching a pipeline (idempotent)',
    responses: { 204: { description: 'Not watching' } },
    errors: [404],
    handle: async (c, s) => {
      await s.pipelines.unwatch(c.actor, c.params.slug, c.params.pipeline_id);
      return noContent();
    },
  }),
  route({
    method: 'post',
    path: `${P}/pipelines/{pipeline_id}/trigger`,
    operationId: 'triggerPipeline',
    tag: 'runs',
    who: 'editor',
    summary:
      'Start a run and store it at once: a synced pipeline’s in its orchestrator (`conf`, `logical_date`), a managed pipeline’s queued for its engine (`full_refresh`, `dry_run`, `variables`, `version_id`, `from_step`; each of these on a synced pipeline, or `conf`/`logical_date` on a managed one, is 400 naming the field). With an `Idempotency-Key`, a retry with the same body returns the same run (200) and never starts a second one; the same key with another body is 422 `IDEMPOTENCY_KEY_REUSED`. A managed pipeline whose warehouse cannot serve it is 400 naming `warehouse` (`WAREHOUSE_REQUIRED` when Signalbox runs on PostgreSQL and the definition names none); one whose engine cannot run is 409 `ENGINE_UNAVAILABLE` or `PIPELINE_NOT_RUNNABLE`.',
    body: B.trigger,
    bodyOptional: true,
    headers: [
      {
        name: 'Idempotency-Key',
        description: '1-255 visible ASCII characters; the same key on the same pipeline names the same run.',
        field: 'idempotencyKey',
        schema: { type: 'string', minLength: 1, maxLength: 255 },
      },
    ],
    responses: {
      201: { description: 'The new run', body: 'Run' },
      200: { description: 'An Idempotency-Key replay: the run the key started earlier', body: 'Run' },
    },
    errors: [400, 403, 404, 409, 422, 429, 502, 503, 504],
    handle: async (c, s) => {
      const key = c.header('idempotency-key');
      const b = c.body;
      // Absent stays undefined: the core refuses each option the pipeline's origin does not take, by name.
      const { run, created } = await s.runs.trigger(c.actor, c.params.slug, c.params.pipeline_id, {
        conf: b.conf,
        note: b.note,
        logicalDate: date(b.logical_date),
        fullRefresh: b.full_refresh,
        dryRun: b.dry_run,
        variables: b.variables,
        versionId: b.version_id,
        fromStep: b.from_step,
        ...(key === undefined ? {} : { idempotencyKey: key }),
      });
      return { status: created ? 201 : 200, json: runDto(run), headers: { Location: runLocation(c, run.id) } };
    },
  }),
  route({
    method: 'get',
    path: `${P}/pipelines/{pipeline_id}/runs`,
    operationId: 'listRuns',
    tag: 'runs',
    who: 'member',
    summary: 'Runs of a pipeline, newest first',
    query: Q.runs,
    responses: { 200: { description: 'A page of runs', body: { list: 'Run' } } },
    errors: [400, 404],
    handle: async (c, s) => {
      const q = c.query;
      const filter = {
        ...(q.started_from ? { startedFrom: new Date(q.started_from) } : {}),
        ...(q.started_to ? { startedTo: new Date(q.started_to) } : {}),
        ...(q.status ? { status: q.status } : {}),
        ...(q.run_type ? { runType: q.run_type } : {}),
      };
      return list(q, await s.runs.list(c.actor, c.params.slug, c.params.pipeline_id, filter, pageRequest(q)), runDto);
    },
  }),
  route({
    method: 'get',
    path: `${P}/runs/{run_id}`,
    operationId: 'getRun',
    tag: 'runs',
    who: 'member',
    summary:
      'One run with its task runs (a managed run’s steps). With `wait_seconds`, a long poll: answers as soon as the run has finished, or when the time is up with the run as it stands.',
    query: Q.run,
    responses: { 200: { description: 'The run', body: 'RunDetail' } },
    errors: [400, 404],
    handle: async (c, s) => {
      // A client that hangs up ends its wait: nothing polls for an answer no one will read.
      const gone = new AbortController();
      c.req.res?.once('close', () => gone.abort());
      return ok(
        runDetailDto(
          await s.runs.get(c.actor, c.params.slug, c.params.run_id, {
            seconds: c.query.wait_seconds,
            changedSince: c.query.changed_since === undefined ? undefined : new Date(c.query.changed_since),
            signal: gone.signal,
          }),
        ),
      );
    },
  }),
  route({
    method: 'post',
    path: `${P}/runs/{run_id}/cancel`,
    operationId: 'cancelRun',
    tag: 'runs',
    who: 'editor',
    summary:
      'Stop a run. A managed run: queued, it is canceled at once; running, its statement is cancelled and no later step starts (`cancel_requested_at` is set, the status becomes `canceled` soon after). A synced run is marked failed in its orchestrator (Airflow). A finished run is 409 `RUN_FINISHED`.',
    responses: { 202: { description: 'The run as it is after the request', body: 'Run' } },
    errors: [403, 404, 409, 429, 502, 503, 504],
    handle: async (c, s) => ({ status: 202, json: runDto(await s.runs.cancel(c.actor, c.params.slug, c.params.run_id)) }),
  }),
  route({
    method: 'post',
    path: `${P}/runs/{run_id}/retry`,
    operationId: 'retryRun',
    tag: 'runs',
    who: 'editor',
    summary:
      'Run again what failed. A managed run: a new run of the same version and options, from `from_step` or the first step that did not succeed (earlier outputs reused): 201. A synced run: its failed task instances are cleared in its orchestrator (Airflow), which runs them again: 201 with the same run, as its orchestrator then tells it. A run not finished is 409 `RUN_NOT_FINISHED`; a managed run with nothing that failed, 409 `RUN_SUCCEEDED` (give `from_step`).',
    body: B.retry,
    bodyOptional: true,
    responses: {
      201: { description: 'The run that runs again: a managed run’s new run, or the synced run itself after the clear', body: 'Run' },
    },
    errors: [400, 403, 404, 409, 429, 502, 503, 504],
    handle: async (c, s) => {
      const { run } = await s.runs.retry(c.actor, c.params.slug, c.params.run_id, { fromStep: c.body.from_step });
      return { status: 201, json: runDto(run), headers: { Location: runLocation(c, run.id) } };
    },
  }),
  ...commentRoutes('run', 'runs', 'run_id', 'Run'),
  ...commentRoutes('task_run', 'task-runs', 'task_run_id', 'TaskRun'),
  editComment('put'),
  editComment('patch'),
  route({
    method: 'delete',
    path: `${P}/comments/{comment_id}`,
    operationId: 'deleteComment',
    tag: 'comments',
    who: 'the author or a space admin',
    summary: 'Delete a comment',
    responses: { 204: { description: 'Deleted' } },
    errors: [403, 404],
    handle: async (c, s) => {
      await s.comments.delete(c.actor, c.params.slug, c.params.comment_id);
      return noContent();
    },
  }),
  route({
    method: 'post',
    path: `${P}/connectors/{connector_id}/sync`,
    operationId: 'syncConnector',
    tag: 'connectors',
    who: 'space admin',
    summary:
      'Start a sync of the connector: 202 with the sync record. With `wait=true`, waits for it (bounded) and answers 200 with the result, or 202 with the sync as it stands when the wait runs out. A sync already running answers 409 with it in `error.sync`; a `warehouse` connector has nothing to sync: 409 `CONNECTOR_NOT_SYNCABLE`.',
    query: Q.sync,
    responses: {
      202: { description: 'The sync, started (or still running after the wait)', body: 'Sync' },
      200: { description: 'With wait=true: the finished sync (succeeded or failed)', body: 'Sync' },
    },
    errors: [400, 403, 404, 409],
    handle: async (c, s) => {
      const started = await s.syncs.start(c.actor, c.params.slug, c.params.connector_id);
      const location = `${c.req.baseUrl}/spaces/${c.params.slug}/connectors/${c.params.connector_id}/syncs/${started.id}`;
      if (!c.query.wait) return { status: 202, json: syncDto(started), headers: { Location: location } };
      // A worker runs the sync, maybe in another process: the record tells when it has ended.
      const current = await s.syncs.wait(c.actor, c.params.slug, c.params.connector_id, started.id, syncWaitMs);
      return { status: current.status === 'running' ? 202 : 200, json: syncDto(current), headers: { Location: location } };
    },
  }),
];
