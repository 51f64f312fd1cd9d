import { pipelineDetailDto, validationDto, versionDiffDto, versionDto } from '../dto';
import { definitionRoute, list, pageRequest, type RouteSpec, route } from '../route';
import { bodySchemas as B, definitionRequestSchema, querySchemas as Q } from '../schemas';
import { noContent, ORCHESTRATION, ok } from './replies';

/** Managed pipelines: definitions (JSON or YAML, checked by the core) and their versions. */

const P = ORCHESTRATION;

const ifMatch = {
  name: 'If-Match',
  description: 'The version number the update is based on, in quotes (`"3"`): another current version is 409 VERSION_CONFLICT. Same as `base_version`.',
  field: 'ifMatch',
  schema: { type: 'string' },
};

export const managedRoutes: RouteSpec[] = [
  definitionRoute({
    method: 'post',
    path: `${P}/pipelines`,
    operationId: 'createPipeline',
    tag: 'managed pipelines',
    who: 'editor',
    summary:
      'Create a managed pipeline from a definition in JSON or YAML (`Content-Type: application/yaml`), in either shape. A bad definition is 400 with one detail per problem, its `line` and `column` (and `query_line`/`query_column` inside a query); nothing is stored.',
    body: definitionRequestSchema,
    responses: { 201: { description: 'The pipeline, with `current_version` (version 1) and `definition`', body: 'PipelineDetail' } },
    errors: [400, 403, 404, 409, 503],
    handle: async (c, s) => {
      const d = await s.managed.create(c.actor, c.params.slug, c.body);
      return {
        status: 201,
        json: pipelineDetailDto(d),
        headers: { Location: `${c.req.baseUrl}/spaces/${c.params.slug}/orchestration/pipelines/${d.pipeline.id}` },
      };
    },
  }),
  definitionRoute({
    method: 'post',
    path: `${P}/pipelines/validate`,
    operationId: 'validatePipeline',
    tag: 'managed pipelines',
    who: 'member',
    summary: 'Check a definition and store nothing: `valid`, every error and warning with its line and column, and the normalized steps in run order.',
    body: definitionRequestSchema,
    responses: { 200: { description: 'The outcome (an invalid definition is still 200)', body: 'Validation' } },
    errors: [403, 404, 503],
    handle: async (c, s) => ok(validationDto(await s.managed.validate(c.actor, c.params.slug, c.body))),
  }),
  definitionRoute({
    method: 'put',
    path: `${P}/pipelines/{pipeline_id}`,
    operationId: 'updatePipeline',
    tag: 'managed pipelines',
    who: 'editor',
    summary:
      'Replace a managed pipeline’s definition: 201 with a new current version when the normalized content changed, 200 and the same version when not. `base_version` or `If-Match` makes it conditional.',
    body: definitionRequestSchema,
    headers: [ifMatch],
    responses: {
      201: { description: 'A new version', body: 'PipelineDetail' },
      200: { description: 'Unchanged: the same content as the current version', body: 'PipelineDetail' },
    },
    errors: [400, 403, 404, 409, 503],
    handle: async (c, s) => {
      const header = c.header('if-match');
      const { pipeline, created } = await s.managed.update(c.actor, c.params.slug, c.params.pipeline_id, {
        ...c.body,
        ...(header === undefined ? {} : { ifMatch: header }),
      });
      return { status: created ? 201 : 200, json: pipelineDetailDto(pipeline) };
    },
  }),
  route({
    method: 'delete',
    path: `${P}/pipelines/{pipeline_id}`,
    operationId: 'deletePipeline',
    tag: 'managed pipelines',
    who: 'editor',
    summary: 'Delete a managed pipeline with its versions, runs, task runs, comments and watches. A synced pipeline is 409 `PIPELINE_NOT_MANAGED`.',
    responses: { 204: { description: 'Deleted' } },
    errors: [403, 404, 409],
    handle: async (c, s) => {
      await s.managed.delete(c.actor, c.params.slug, c.params.pipeline_id);
      return noContent();
    },
  }),
  route({
    method: 'patch',
    path: `${P}/pipelines/{pipeline_id}/paused`,
    operationId: 'setPipelinePaused',
    tag: 'pipelines',
    who: 'editor',
    summary:
      'Pause or resume. A managed pipeline’s schedule stops (`next_run_at` null) and restarts from now; a synced pipeline is paused in its orchestrator (Airflow) first. Idempotent.',
    body: B.paused,
    responses: { 200: { description: 'The pipeline', body: 'PipelineDetail' } },
    errors: [400, 403, 404, 409, 429, 502, 503, 504],
    handle: async (c, s) => ok(pipelineDetailDto(await s.managed.setPaused(c.actor, c.params.slug, c.params.pipeline_id, c.body.paused))),
  }),
  route({
    method: 'get',
    path: `${P}/pipelines/{pipeline_id}/versions`,
    operationId: 'listPipelineVersions',
    tag: 'managed pipelines',
    who: 'member',
    summary: 'Versions of a managed pipeline, newest first',
    query: Q.page,
    responses: { 200: { description: 'A page of versions', body: { list: 'PipelineVersion' } } },
    errors: [400, 404, 409],
    handle: async (c, s) => list(c.query, await s.managed.listVersions(c.actor, c.params.slug, c.params.pipeline_id, pageRequest(c.query)), versionDto),
  }),
  route({
    method: 'get',
    path: `${P}/pipelines/{pipeline_id}/versions/{version_id}`,
    operationId: 'getPipelineVersion',
    tag: 'managed pipelines',
    who: 'member',
    summary: 'One version: its source as sent, its steps and variables',
    responses: { 200: { description: 'The version', body: 'PipelineVersion' } },
    errors: [404, 409],
    handle: async (c, s) => ok(versionDto(await s.managed.getVersion(c.actor, c.params.slug, c.params.pipeline_id, c.params.version_id))),
  }),
  route({
    method: 'get',
    path: `${P}/pipelines/{pipeline_id}/versions/{version_id}/diff`,
    operationId: 'diffPipelineVersions',
    tag: 'managed pipelines',
    who: 'member',
    summary:
      'What changed from `against` (default: the version before) to this version: a unified diff of the sources, and the steps added, removed and changed',
    query: Q.diff,
    responses: { 200: { description: 'The diff', body: 'VersionDiff' } },
    errors: [400, 404, 409],
    handle: async (c, s) => ok(versionDiffDto(await s.managed.diff(c.actor, c.params.slug, c.params.pipeline_id, c.params.version_id, c.query.against))),
  }),
  route({
    method: 'post',
    path: `${P}/pipelines/{pipeline_id}/versions/{version_id}/restore`,
    operationId: 'restorePipelineVersion',
    tag: 'managed pipelines',
    who: 'editor',
    summary: 'Make a new current version with this version’s content (201); restoring the current content changes nothing (200)',
    body: B.restore,
    bodyOptional: true,
    responses: {
      201: { description: 'The pipeline with its new current version', body: 'PipelineDetail' },
      200: { description: 'Unchanged: that content is current', body: 'PipelineDetail' },
    },
    errors: [400, 403, 404, 409],
    handle: async (c, s) => {
      const { pipeline, created } = await s.managed.restore(c.actor, c.params.slug, c.params.pipeline_id, c.params.version_id, c.body.message);
      return { status: created ? 201 : 200, json: pipelineDetailDto(pipeline) };
    },
  }),
];
