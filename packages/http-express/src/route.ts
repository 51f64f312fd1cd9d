import type { Actor, Paged, RenderedPage, Services } from '@signalbox/core';
import type { Request, Response } from 'express';
import type { FromSchema, JSONSchema } from 'json-schema-to-ts';
import { type ComponentName, listOf, ref } from './schemas';
import type { Schema } from './validation';

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** What a handler sees: the caller and the inputs, checked against the route's schemas. */
export interface Ctx<Q = unknown, B = unknown> {
  actor: Actor;
  params: Record<string, string>;
  query: Q;
  body: B;
  /** Request headers, lower-case names. */
  header(name: string): string | undefined;
  req: Request;
  res: Response;
}

/** A handler's answer: a status with a JSON body, a page of a list, or no content. */
export type Reply =
  | { status: number; json: unknown; headers?: Record<string, string> }
  | { status: 200; page: Paged<unknown>; pageRequest: { page: number; perPage: number } }
  | { status: 200; rendered: RenderedPage; pageRequest: { page: number; perPage: number }; headers?: Record<string, string> }
  | { status: 304; headers: Record<string, string> }
  | { status: 204 };

/** `page` and `per_page` as every list route takes them. */
export interface PageQuery {
  page: number;
  per_page: number;
}
export const pageRequest = (q: PageQuery) => ({ page: q.page, perPage: q.per_page });
/** A 200 answering one page of a list, each item mapped to its wire form; the router adds the pagination headers. */
export const list = <T>(q: PageQuery, page: Paged<T>, map: (x: T) => unknown): Reply => ({
  status: 200,
  page: { items: page.items.map(map), total: page.total },
  pageRequest: pageRequest(q),
});

/** A 200 answering one page of a list the store rendered as JSON text; the router sends it as it is, with the pagination headers. */
export const renderedList = (q: PageQuery, rendered: RenderedPage, headers?: Record<string, string>): Reply => ({
  status: 200,
  rendered,
  pageRequest: pageRequest(q),
  ...(headers ? { headers } : {}),
});

export interface ResponseSpec {
  description: string;
  /**
   * A component returned as the body, or a list of it (with pagination headers); `or`: the
   * list's items may be this other component instead (a sparse fieldset).
   */
  body?: ComponentName | { list: ComponentName; or?: ComponentName };
}

/** What the router and the OpenAPI document need of an endpoint, besides its inputs and handler. */
interface RouteMeta {
  method: Method;
  path: string;
  /**
   * Served under this absolute path instead of the API's base path: the seeds' dialects, whose
   * clients know their own URLs. Each base gets a router of its own (see `buildApp`).
   */
  base?: string;
  operationId: string;
  summary: string;
  tag: string;
  /** Who may call it, for the document (the core decides). */
  who?: string;
  /** The body may be left out altogether (all its fields optional). */
  bodyOptional?: boolean;
  /**
   * The body is a pipeline definition: not checked here but handed to the handler as sent, its
   * text and format (JSON or YAML by Content-Type), for the core to check with line and column.
   * `body` is then only the schema the OpenAPI document describes it with.
   */
  definitionBody?: boolean;
  /** Headers it reads; `field` is the core's name for one, which the core's errors then call by the header's name. */
  headers?: { name: string; description: string; schema: Schema; field?: string }[];
  responses: Record<number, ResponseSpec>;
  /** Error statuses this route may answer, beyond 401 and 500. */
  errors: number[];
}

/**
 * One endpoint: everything the router needs to serve it and the OpenAPI document needs to
 * describe it. Paths use OpenAPI's `{param}` form, relative to the mount point. Write routes with
 * `route()`, which types the handler's inputs from the schemas; this is the table's erased form.
 */
export interface RouteSpec extends RouteMeta {
  query?: Schema;
  body?: Schema;
  handle(ctx: Ctx, services: Services): Promise<Reply>;
}

/** The type a request schema accepts, or `undefined` for a route without that input. */
export type Input<S> = S extends JSONSchema ? FromSchema<S> : undefined;

/** What a `definitionBody` route's handler gets as its body. */
export interface DefinitionBody {
  text: string;
  format: 'json' | 'yaml';
}

/** A route as written: its handler sees query and body typed from its own schemas. */
export interface TypedRoute<QS extends JSONSchema | undefined, BS extends JSONSchema | undefined> extends RouteMeta {
  query?: QS;
  body?: BS;
  handle(ctx: Ctx<Input<QS>, Input<BS>>, services: Services): Promise<Reply>;
}

/** A route whose body is a definition (see `definitionBody`): its handler sees the text and its format. */
export interface DefinitionRoute<QS extends JSONSchema | undefined> extends Omit<RouteMeta, 'definitionBody'> {
  query?: QS;
  /** Describes the body in the OpenAPI document only. */
  body: Schema;
  handle(ctx: Ctx<Input<QS>, DefinitionBody>, services: Services): Promise<Reply>;
}

/** Declares a route whose body is a definition, handed over as text (see `definitionBody`). */
export const definitionRoute = <const QS extends JSONSchema | undefined = undefined>(spec: DefinitionRoute<QS>): RouteSpec =>
  ({ ...spec, definitionBody: true }) as unknown as RouteSpec;

/**
 * Declares a route whose handler takes its input types from its `query` and `body` schemas
 * (written with literal types, as in schemas.ts). The router calls the handler only with a query
 * and a body that passed those very schemas, which is what makes the erased `RouteSpec` safe.
 */
export const route = <const QS extends JSONSchema | undefined = undefined, const BS extends JSONSchema | undefined = undefined>(
  spec: TypedRoute<QS, BS>,
): RouteSpec => spec as unknown as RouteSpec;

export const bodyRef = (b: ResponseSpec['body']): Schema | undefined =>
  b === undefined ? undefined : typeof b === 'string' ? ref(b) : b.or ? { type: 'array', items: { anyOf: [ref(b.list), ref(b.or)] } } : listOf(b.list);

/** Path parameters are checked before the core is called: a value that cannot be an id is a 404. */
export const PARAM_RESOURCES: Record<string, string> = {
  slug: 'space',
  user_id: 'user',
  key_id: 'api key',
  team_id: 'team',
  connector_id: 'connector',
  sync_id: 'sync',
  pipeline_id: 'pipeline',
  run_id: 'run',
  task_run_id: 'task run',
  comment_id: 'comment',
  version_id: 'version',
  pipeline_name: 'pipeline',
};
