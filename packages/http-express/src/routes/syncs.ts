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
    summary:
      'One sync: status, counts, error, times. With `wait_seconds`, a long poll: answers as soon as the sync has ended, or when the time is up with the sync as it stands.',
    query: Q.syncGet,
    responses: { 200: { description: 'The sync', body: 'Sync' } },
    errors: [400, 404],
    handle: async (c, s) => {
      const { slug, connector_id, sync_id } = c.params;
      const wait = c.query.wait_seconds;
      // A client that hangs up ends its wait, as a run's does.
      const gone = new AbortController();
      c.req.res?.once('close', () => gone.abort());
      return ok(
        syncDto(
          wait > 0
            ? await s.syncs.wait(c.actor, slug, connector_id, sync_id, wait * 1000, gone.signal)
            : await s.syncs.get(c.actor, slug, connector_id, sync_id),
        ),
      );
    },
  }),
];
