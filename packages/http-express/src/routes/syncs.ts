import { syncDto } from '../dto';
import { list, pageRequest, type RouteSpec, route } from '../route';
import { querySchemas as Q } from '../schemas';
import { ok } from './replies';

/** A connector's sync history (a sync is started under `/orchestration`, with the seed contract). */
export const syncRoutes: RouteSpec[] = [
  route({
    method: 'get',
    path: '/spaces/{slug}/connectors/{connector_id}/syncs',
    operationId: 'listSyncs',
    tag: 'connectors',
    who: 'member',
    summary: 'Sync history of a connector, newest first',
    query: Q.page,
    responses: { 200: { description: 'A page of syncs', body: { list: 'Sync' } } },
    errors: [400, 404],
    handle: async (c, s) => list(c.query, await s.syncs.list(c.actor, c.params.slug, c.params.connector_id, pageRequest(c.query)), syncDto),
  }),
  route({
    method: 'get',
    path: '/spaces/{slug}/connectors/{connector_id}/syncs/{sync_id}',
    operationId: 'getSync',
    tag: 'connectors',
    who: 'member',
    summary: 'One sync: status, counts, error, times',
    responses: { 200: { description: 'The sync', body: 'Sync' } },
    errors: [404],
    handle: async (c, s) => ok(syncDto(await s.syncs.get(c.actor, c.params.slug, c.params.connector_id, c.params.sync_id))),
  }),
];
