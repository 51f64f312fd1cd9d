import { YAML_TYPES } from './body';
import { bodyRef, PARAM_RESOURCES, type RouteSpec } from './route';
import { components, ref } from './schemas';
import type { Schema } from './validation';

const ERROR_TEXT: Record<number, string> = {
  400: 'Bad input: `error.details` names each field and why (with line and column for a problem in the body)',
  401: 'No API key, or an unknown, revoked or expired one',
  403: 'A member whose role does not allow this',
  404: 'Unknown id, or a space the caller cannot see',
  405: 'Method not allowed on this path',
  409: 'Conflict with the current state',
  413: 'Request body too large',
  415: 'Request body is neither JSON nor YAML',
  422: 'An Idempotency-Key reused with another request body',
  429: 'Rate limited, by this server (`Retry-After` says in how many seconds to try again) or by the orchestrator',
  500: 'Unexpected server error',
  502: "The orchestrator refused the connector's credentials or failed",
  503: 'The orchestrator or the database cannot be reached',
  504: 'The orchestrator did not answer in time',
};

/** Path parameters that are not ids. */
const PARAM_SCHEMAS: Record<string, Schema> = {
  slug: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{1,62}$' },
  pipeline_name: { type: 'string', pattern: '^[a-z0-9][a-z0-9_-]{0,127}$' },
};

const errorResponse = (status: number) => ({
  description: ERROR_TEXT[status] ?? 'Error',
  content: { 'application/json': { schema: ref('Error') } },
});

const pageHeaders = {
  'X-Total-Count': { description: 'Items across all pages', schema: { type: 'integer' } },
  'X-Page': { description: 'This page, from 1', schema: { type: 'integer' } },
  'X-Per-Page': { description: 'Page size', schema: { type: 'integer' } },
  'X-Total-Pages': { description: 'Number of pages (0 for an empty list)', schema: { type: 'integer' } },
  Link: { description: 'RFC 8288 links: first, prev, next, last', schema: { type: 'string' } },
};

/** A request body is read as JSON or as YAML, into the same schema. */
const bodyContent = (schema: Schema) => Object.fromEntries(['application/json', ...YAML_TYPES].map((type) => [type, { schema }]));

export interface OpenApiOptions {
  /** Where the API router is mounted. Default `/api/v1.0`. */
  basePath?: string;
  /** Extra operations outside the router (health checks, the document itself), by path. */
  extraPaths?: Record<string, unknown>;
  version?: string;
}

/** The OpenAPI 3.1 document of a route table: the same schemas the router checks requests with. */
export function buildOpenApi(routes: RouteSpec[], opts: OpenApiOptions = {}): Record<string, unknown> {
  const base = opts.basePath ?? '/api/v1.0';
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const parameters: unknown[] = [];
    for (const [, name] of r.path.matchAll(/\{(\w+)\}/g)) {
      parameters.push({
        name,
        in: 'path',
        required: true,
        description: name === 'slug' ? 'The space slug' : name === 'pipeline_name' ? 'The managed pipeline’s name' : `The ${PARAM_RESOURCES[name] ?? name} id`,
        schema: PARAM_SCHEMAS[name] ?? { type: 'string', format: 'uuid' },
      });
    }
    const q = r.query?.properties as Record<string, Schema> | undefined;
    for (const [name, schema] of Object.entries(q ?? {})) {
      // A list parameter is repeated (`status=a&status=b`); its description also gives the comma form.
      const list = schema.type === 'array' ? { style: 'form', explode: true } : {};
      const description = typeof schema.description === 'string' ? { description: schema.description } : {};
      parameters.push({ name, in: 'query', required: false, ...description, ...list, schema });
    }
    for (const h of r.headers ?? []) parameters.push({ name: h.name, in: 'header', required: false, description: h.description, schema: h.schema });

    const responses: Record<string, unknown> = {};
    for (const [status, spec] of Object.entries(r.responses)) {
      const schema = bodyRef(spec.body);
      responses[status] = {
        description: spec.description,
        ...(typeof spec.body === 'object' ? { headers: pageHeaders } : {}),
        ...(schema ? { content: { 'application/json': { schema } } } : {}),
      };
    }
    // Every route checks its query (an unknown parameter is 400 QUERY_INVALID) and may be rate limited.
    const errors = new Set([...r.errors, 400, 401, 429, 500]);
    if (r.body) for (const s of [413, 415]) errors.add(s);
    for (const status of [...errors].sort((a, b) => a - b)) responses[String(status)] = errorResponse(status);

    const path = `${r.base ?? base}${r.path}`;
    paths[path] ??= {};
    paths[path][r.method] = {
      operationId: r.operationId,
      summary: r.summary,
      ...(r.who ? { description: `Who may call it: ${r.who}.` } : {}),
      tags: [r.tag],
      security: [{ bearerAuth: [] }, { apiKeyHeader: [] }],
      ...(parameters.length ? { parameters } : {}),
      ...(r.body ? { requestBody: { required: !r.bodyOptional, content: bodyContent(r.body) } } : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Signalbox API',
      version: opts.version ?? '1.0',
      description: 'Control plane for data pipelines: spaces, pipelines synced from orchestrators, runs, task runs, comments.',
    },
    servers: [{ url: '/' }],
    paths: { ...paths, ...(opts.extraPaths ?? {}) },
    components: {
      schemas: components,
      securitySchemes: {
        bearerAuth: { type: 'http', scheme: 'bearer', description: 'An API key: `Authorization: Bearer sbx_…`' },
        apiKeyHeader: {
          type: 'apiKey',
          in: 'header',
          name: 'Api-key',
          description: 'The same API key as `Api-key: sbx_…`. Both headers with different keys is 400 `AMBIGUOUS_API_KEY`.',
        },
      },
    },
  };
}
