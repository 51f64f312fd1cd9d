import { connectorCheckDto, connectorDto } from '../dto';
import { list, pageRequest, type RouteSpec, route } from '../route';
import { bodySchemas as B, querySchemas as Q } from '../schemas';
import { base, created, noContent, ok } from './replies';

/** Connectors of a space: the orchestrators it syncs from. */
export const connectorRoutes: RouteSpec[] = [
  route({
    method: 'get',
    path: '/spaces/{slug}/connectors',
    operationId: 'listConnectors',
    tag: 'connectors',
    who: 'member',
    summary: 'Connectors of the space, by name (secrets never returned)',
    query: Q.page,
    responses: { 200: { description: 'A page of connectors', body: { list: 'Connector' } } },
    errors: [400, 404],
    handle: async (c, s) => list(c.query, await s.connectors.list(c.actor, c.params.slug, pageRequest(c.query)), connectorDto),
  }),
  route({
    method: 'post',
    path: '/spaces/{slug}/connectors',
    operationId: 'createConnector',
    tag: 'connectors',
    who: 'space admin',
    summary:
      'Create a connector: `{name, type, config, sync_interval_seconds?}` (default 300 s for airflow and argo, null for mock and warehouse: manual only); airflow config `{base_url, api_version?, username?, password?, token?}`, argo config `{base_url, namespace, token, image?, service_account?, warehouse_secret: {name, key}}` (checked against its server first: 502 when it refuses the token, 503 when unreachable, 504 on a timeout, and nothing is created), mock config `{pipelines, runs_per_pipeline, seed, page_cap}`, warehouse config `{url, password?}` (a PostgreSQL URL that managed pipelines name as their `warehouse`; a password in the URL is moved to the write-only `password`)',
    body: B.newConnector,
    responses: { 201: { description: 'The new connector', body: 'Connector' } },
    errors: [400, 403, 404, 409, 502, 503, 504],
    handle: async (c, s) => {
      const { sync_interval_seconds: syncIntervalSeconds, ...fields } = c.body;
      const connector = await s.connectors.create(c.actor, c.params.slug, { ...fields, syncIntervalSeconds });
      return created(connectorDto(connector), `${base(c)}/spaces/${c.params.slug}/connectors/${connector.id}`);
    },
  }),
  route({
    method: 'get',
    path: '/spaces/{slug}/connectors/{connector_id}',
    operationId: 'getConnector',
    tag: 'connectors',
    who: 'member',
    summary: 'One connector with its sync state',
    responses: { 200: { description: 'The connector', body: 'Connector' } },
    errors: [404],
    handle: async (c, s) => ok(connectorDto(await s.connectors.get(c.actor, c.params.slug, c.params.connector_id))),
  }),
  route({
    method: 'patch',
    path: '/spaces/{slug}/connectors/{connector_id}',
    operationId: 'updateConnector',
    tag: 'connectors',
    who: 'space admin',
    summary: 'Rename a connector, set its sync interval, or merge settings into its config (a key set to null is removed; secrets left out are kept)',
    body: B.patchConnector,
    responses: { 200: { description: 'The connector', body: 'Connector' } },
    errors: [400, 403, 404, 409],
    handle: async (c, s) => {
      const { sync_interval_seconds: syncIntervalSeconds, ...fields } = c.body;
      return ok(connectorDto(await s.connectors.update(c.actor, c.params.slug, c.params.connector_id, { ...fields, syncIntervalSeconds })));
    },
  }),
  route({
    method: 'delete',
    path: '/spaces/{slug}/connectors/{connector_id}',
    operationId: 'deleteConnector',
    tag: 'connectors',
    who: 'space admin',
    summary: 'Delete a connector and everything synced from it',
    responses: { 204: { description: 'Deleted' } },
    errors: [403, 404],
    handle: async (c, s) => {
      await s.connectors.delete(c.actor, c.params.slug, c.params.connector_id);
      return noContent();
    },
  }),
  route({
    method: 'post',
    path: '/spaces/{slug}/connectors/{connector_id}/check',
    operationId: 'checkConnector',
    tag: 'connectors',
    who: 'space admin',
    summary:
      "Ask the orchestrator whether it answers and accepts the connector's credentials. A `warehouse` connector is no orchestrator: 409 `CONNECTOR_NOT_SYNCABLE`.",
    responses: { 200: { description: 'What the orchestrator said of itself', body: 'ConnectorCheck' } },
    errors: [403, 404, 409, 429, 502, 503, 504],
    handle: async (c, s) => ok(connectorCheckDto(await s.connectors.check(c.actor, c.params.slug, c.params.connector_id))),
  }),
];
