import { list, pageRequest, type RouteSpec, route } from '../route';
import { querySchemas as Q } from '../schemas';
import { seed3RunDto } from '../seed3';

/**
 * The seed-3 dialect, mounted at the root (not under `/api/v1.0`): runs addressed by pipeline id
 * alone, the space being the one of the caller's spaces that holds the pipeline.
 */

const listRuns = (path: string, operationId: string): RouteSpec =>
  route({
    method: 'get',
    path,
    operationId,
    tag: 'seed-3 dialect',
    who: 'member of the pipeline’s space',
    summary:
      'Runs of a pipeline in the seed-3 shape, newest first, as a bare array (with the pagination headers): each with its version, its steps and their statuses in Argo’s words. A pipeline the caller cannot see, or that does not exist, is 404.',
    query: Q.seed3Runs,
    responses: { 200: { description: 'A page of runs', body: { list: 'Seed3Run' } } },
    errors: [400, 404],
    handle: async (c, s) => {
      const filter = c.query.version_id === undefined ? {} : { versionId: c.query.version_id };
      return list(c.query, await s.runs.listByPipelineId(c.actor, c.params.pipeline_id, filter, pageRequest(c.query)), seed3RunDto);
    },
  });

export const seed3Routes: RouteSpec[] = [
  listRuns('/pipelines/{pipeline_id}/runs', 'seed3ListRuns'),
  listRuns('/pipelines/{pipeline_id}/runs/', 'seed3ListRunsSlash'),
];
