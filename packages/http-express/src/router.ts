import { randomUUID } from 'node:crypto';
import { DomainError, type Logger, MANAGED_NAME_PATTERN, notFound, renameField, type Services, SLUG_PATTERN, silentLogger } from '@signalbox/core';
import express, { type Request, type RequestHandler, type Response, Router } from 'express';
import FindMyWay, { type HTTPMethod } from 'find-my-way';
import { JSON_TYPES, type Locate, locateInJson, parseYaml, YAML_TYPES } from './body';
import { errorHandler, sendError } from './errors';
import { setPageHeaders } from './pagination';
import type { RateLimiter } from './rate-limit';
import { type Ctx, PARAM_RESOURCES, type RouteSpec } from './route';
import { connectorRoutes } from './routes/connectors';
import { managedRoutes } from './routes/managed';
import { memberRoutes } from './routes/members';
import { DEFAULT_SYNC_WAIT_MS, orchestrationRoutes } from './routes/orchestration';
import { seed2Routes } from './routes/seed2';
import { seed3Routes } from './routes/seed3';
import { spaceRoutes } from './routes/spaces';
import { syncRoutes } from './routes/syncs';
import { teamRoutes } from './routes/teams';
import { userRoutes } from './routes/users';
import { check, compileBody, compileQuery, type Schema } from './validation';

export interface ApiRouterOptions {
  /** Largest accepted body, JSON or YAML (bytes or a string such as '1mb'); larger is 413. Default 1mb. */
  bodyLimit?: number | string;
  /** Where unexpected errors go. Default: nowhere. */
  logger?: Logger;
  /** How long `POST …/sync?wait=true` waits before answering 202. Default 60 s. */
  syncWaitMs?: number;
  /** Answer unknown paths under the mount point with a JSON 404 (default true); false passes them on with next(). */
  answerUnknownRoutes?: boolean;
  /** Per-key, per-address and failed-authentication limits (`createRateLimiter`). Default: none. */
  rateLimiter?: RateLimiter;
  /** Serve the routes of this `base` (a dialect's mount point) instead of those under the API's base path. */
  base?: string;
  /** The routes it serves. Default: those of `apiRoutes()` with this `base` (the canonical API when none); `buildApp` mounts `seed3Routes` at the root. */
  routes?: RouteSpec[];
  /** Where it is mounted: a route's template under it is the request's `route` label in the metrics. Default: `base`, else ''. */
  mountPath?: string;
}

/** Every route of the API, in the order they are matched. */
export const apiRoutes = (opts: Pick<ApiRouterOptions, 'syncWaitMs'> = {}): RouteSpec[] => [
  ...spaceRoutes,
  ...userRoutes,
  ...memberRoutes,
  ...teamRoutes,
  ...connectorRoutes,
  ...syncRoutes,
  ...orchestrationRoutes(opts.syncWaitMs ?? DEFAULT_SYNC_WAIT_MS),
  ...managedRoutes,
  ...seed2Routes,
];

/** The seed-3 dialect: paths from the root of the server, beside the canonical API. */
export { seed3Routes };

// Every request schema is compiled once, when this module loads; ajv keeps the compiled function
// per schema object, so the routers made later reuse them.
for (const spec of [...apiRoutes(), ...seed3Routes]) {
  if (spec.query) compileQuery(spec.query);
  if (spec.body && !spec.definitionBody) compileBody(spec.body);
}
const NO_QUERY = compileQuery({ type: 'object', additionalProperties: false, properties: {} });

const toExpressPath = (path: string) => path.replace(/\{(\w+)\}/g, ':$1');
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const REQUEST_ID = /^[\w.:-]{1,128}$/;

/** Gives each request an id (a sane incoming X-Request-Id, else a new one) and echoes it. */
export const requestId: RequestHandler = (req, res, next) => {
  if (!res.locals.requestId) {
    const incoming = req.get('x-request-id');
    res.locals.requestId = incoming && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    res.set('X-Request-Id', res.locals.requestId);
  }
  next();
};

/**
 * Names the route that matched, as its template (`/api/v1.0/spaces/{slug}/…`), for the metrics:
 * a fixed string per route, never the path as sent, whose ids would make a series per request.
 */
const routeLabel =
  (template: string): RequestHandler =>
  (_req, res, next) => {
    res.locals.route = template;
    next();
  };

const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;

/** The token of an `Authorization: Bearer <token>` header; undefined for none or another scheme. */
export const bearerToken = (header: string | undefined) => (header ? BEARER.exec(header)?.[1] : undefined);

/** 429 in the error shape, with the wait in `Retry-After` and in the body. */
function tooMany(res: Response, seconds: number, message: string) {
  res.set('Retry-After', String(seconds));
  sendError(res, 429, 'RATE_LIMITED', `${message}; retry after ${seconds} s`, [], { retry_after_seconds: seconds });
}

/** The API key a request names: `Authorization: Bearer <key>`, or `Api-key: <key>` (the seed-3 header). */
type KeyOf = { key: string } | { key: undefined; conflict: boolean };

/**
 * The key of a request from either header. Both given with different keys is a conflict (RFC 6750
 * §3.1 answers a request that sends its token by more than one method with 400): the server would
 * otherwise have to pick one, and a client would not know which of its keys it was acting as.
 */
function keyOf(req: Request): KeyOf {
  const bearer = bearerToken(req.get('authorization'));
  const apiKey = req.get('api-key')?.trim() || undefined;
  if (bearer !== undefined && apiKey !== undefined && bearer !== apiKey) return { key: undefined, conflict: true };
  const key = bearer ?? apiKey;
  return key === undefined ? { key: undefined, conflict: false } : { key };
}

/**
 * `Authorization: Bearer <api key>` or `Api-key: <api key>` through the core; 401 with
 * WWW-Authenticate otherwise. With limits: every request counts against its address, a valid
 * key's requests against the key (whichever header named it), and only failed authentications
 * against the address's failed-authentication limit, so a client with a valid key is never
 * refused for another's wrong guesses from the same address.
 */
const authenticate =
  (services: Services, limits: RateLimiter | undefined): RequestHandler =>
  async (req, res, next) => {
    // Worked out only for a limit that counts it (with `trust proxy`, it reads X-Forwarded-For).
    const address = () => req.ip ?? req.socket.remoteAddress ?? 'unknown';
    if (limits?.address) {
      const wait = await limits.address(address());
      if (wait !== null) return tooMany(res, wait, 'too many requests from this address');
    }
    const given = keyOf(req);
    const actor = given.key !== undefined ? await services.access.authenticate(given.key) : undefined;
    if (given.key === undefined || !actor) {
      const wait = limits?.failedAuthentication ? await limits.failedAuthentication(address()) : null;
      if (wait !== null) return tooMany(res, wait, 'too many failed authentications from this address');
      if (given.key === undefined && given.conflict) {
        res.set('WWW-Authenticate', 'Bearer realm="signalbox", error="invalid_request", error_description="two different API keys"');
        return sendError(res, 400, 'AMBIGUOUS_API_KEY', 'the Authorization and Api-key headers name different API keys: send one', [
          { field: 'Api-key', reason: 'differs from the key in Authorization' },
        ]);
      }
      if (given.key === undefined) {
        res.set('WWW-Authenticate', 'Bearer realm="signalbox"');
        return sendError(res, 401, 'UNAUTHENTICATED', 'send an API key as "Authorization: Bearer <key>" or "Api-key: <key>"');
      }
      res.set('WWW-Authenticate', 'Bearer realm="signalbox", error="invalid_token", error_description="the API key is unknown, revoked or expired"');
      return sendError(res, 401, 'INVALID_API_KEY', 'the API key is unknown, revoked or expired');
    }
    if (limits?.key) {
      const wait = await limits.key(given.key);
      if (wait !== null) return tooMany(res, wait, 'too many requests with this API key');
    }
    res.locals.actor = actor;
    next();
  };

/** Path parameters that cannot name anything are a 404 of that resource, never a database error. */
function checkParams(params: Record<string, string>) {
  for (const [name, value] of Object.entries(params)) {
    if (name === 'pipeline_name') {
      if (!MANAGED_NAME_PATTERN.test(value)) throw notFound('pipeline', value);
    } else if (name === 'slug') {
      if (!SLUG_PATTERN.test(value)) throw new DomainError('not_found', 'SPACE_NOT_FOUND', `space '${value}' was not found`);
    } else if (!UUID.test(value)) {
      throw notFound(PARAM_RESOURCES[name] ?? name, value);
    }
  }
}

/**
 * The query as the schema reads it: each parameter the schema takes as a list is split at commas,
 * however often it was given, so `status=a,b`, `status=a&status=b` and a mix all read `[a, b]`.
 */
function queryOf(schema: Schema | undefined, query: Record<string, unknown>): Record<string, unknown> {
  const out = { ...query };
  const properties = (schema?.properties ?? {}) as Record<string, Schema>;
  for (const [name, value] of Object.entries(out)) {
    if (properties[name]?.type !== 'array') continue;
    out[name] = (Array.isArray(value) ? value : [value]).flatMap((v) => (typeof v === 'string' ? v.split(',') : [v]));
  }
  return out;
}

/** The body decoded by its media type, with a way to find its values in the text; undefined when none of ours. */
function bodyOf(req: Request, res: Response, optional: boolean): { value: unknown; locate?: () => Locate | undefined } | undefined {
  if (!hasBody(req)) return { value: optional ? {} : req.body };
  if (typeof req.body === 'string' && req.is([...YAML_TYPES])) {
    const { value, locate } = parseYaml(req.body);
    return { value, locate: () => locate };
  }
  if (req.body === undefined) return undefined;
  const raw: Buffer | undefined = res.locals.rawBody;
  return { value: req.body, locate: () => (raw ? locateInJson(raw.toString('utf8')) : undefined) };
}

/** A definition body as sent: its text and, by Content-Type, its format; undefined when neither JSON nor YAML. */
function definitionOf(req: Request): { text: string; format: 'json' | 'yaml' } | undefined {
  if (typeof req.body !== 'string') return undefined;
  return { text: req.body, format: req.is([...YAML_TYPES]) ? 'yaml' : 'json' };
}

function serve(spec: RouteSpec, services: Services): RequestHandler {
  const query = spec.query ? compileQuery(spec.query) : NO_QUERY;
  const body = spec.body && !spec.definitionBody ? compileBody(spec.body) : undefined;
  return async (req: Request, res: Response) => {
    checkParams(req.params as Record<string, string>);
    const q = check(query, queryOf(spec.query, req.query as Record<string, unknown>), 'query');
    let b: unknown;
    if (body) {
      const decoded = bodyOf(req, res, spec.bodyOptional === true);
      if (!decoded) return sendError(res, 415, 'UNSUPPORTED_MEDIA_TYPE', `send the body as application/json or YAML (${YAML_TYPES.join(', ')})`);
      b = check(body, decoded.value, 'body', decoded.locate);
    } else if (spec.definitionBody) {
      if (!hasBody(req))
        throw new DomainError('invalid', 'BODY_REQUIRED', 'send the definition as the request body', { details: [{ field: 'body', reason: 'is required' }] });
      b = definitionOf(req);
      if (!b) return sendError(res, 415, 'UNSUPPORTED_MEDIA_TYPE', `send the definition as application/json or YAML (${YAML_TYPES.join(', ')})`);
    }
    const ctx: Ctx = {
      actor: res.locals.actor,
      params: req.params as Record<string, string>,
      query: q,
      body: b,
      header: (name) => req.get(name),
      req,
      res,
    };
    const reply = await spec.handle(ctx, services).catch((err: unknown) => {
      throw (spec.headers ?? []).reduce((e, h) => (h.field ? renameField(e, h.field, h.name) : e), err);
    });
    if ('headers' in reply && reply.headers) res.set(reply.headers);
    if (reply.status === 304) return res.status(304).end();
    if ('page' in reply) {
      setPageHeaders(req, res, reply.page.total, reply.pageRequest.page, reply.pageRequest.perPage);
      return res.status(200).json(reply.page.items);
    }
    if ('rendered' in reply) {
      setPageHeaders(req, res, reply.rendered.total, reply.pageRequest.page, reply.pageRequest.perPage);
      return res.status(200).type('application/json').send(reply.rendered.json);
    }
    if (!('json' in reply)) return res.status(204).end();
    return res.status(reply.status).json(reply.json);
  };
}

const hasBody = (req: Request) => (req.get('content-length') !== undefined ? req.get('content-length') !== '0' : req.get('transfer-encoding') !== undefined);

/** A route as the table takes it: its method, its Express-style path (`/spaces/:slug`) and its handlers. */
interface TableRoute {
  method: string;
  path: string;
  chain: RequestHandler[];
}

/** What the tree keeps of a route: its handlers, its path and where it was declared. */
interface Store {
  chain: RequestHandler[];
  template: string;
  order: number;
}

type Found = { chain: RequestHandler[]; params: Record<string, string> } | { allow: string[]; template: string };

/**
 * The routes in a radix tree (find-my-way): a request finds its route in one lookup, where
 * Express's own router tries each route's pattern in turn. It matches as Express does by default:
 * letters in any case, with or without a trailing slash, the first route declared winning; HEAD
 * takes the GET route. A path no route has is undefined; a path with routes of other methods only
 * is their list (for 405); a route's path whose percent-escapes do not decode is 'malformed'.
 */
function routeTable(routes: TableRoute[]) {
  const tree = FindMyWay({ caseSensitive: false, maxParamLength: 8192 });
  const methodsByPath = new Map<string, string[]>();
  for (const [order, { method, path, chain }] of routes.entries()) {
    const store: Store = { chain, template: path, order };
    for (const variant of path.endsWith('/') ? [path, path.slice(0, -1)] : [path, `${path}/`])
      if (!tree.hasRoute(method as HTTPMethod, variant)) tree.on(method as HTTPMethod, variant, () => undefined, store);
    methodsByPath.set(path, [...new Set([...(methodsByPath.get(path) ?? []), method])]);
  }
  const methods = [...new Set(routes.map((r) => r.method))] as HTTPMethod[];
  /** The route of a method and path; as in Express, a parameter is never empty. */
  const match = (method: HTTPMethod, path: string) => {
    const found = tree.find(method, path);
    if (!found || Object.values(found.params).some((v) => v === '')) return undefined;
    return { store: found.store as Store, params: found.params as Record<string, string> };
  };
  /** The route declared first among those of any method on this path. */
  const anyMethod = (path: string) => {
    let first: Store | undefined;
    for (const method of methods) {
      const found = match(method, path);
      if (found && (!first || found.store.order < first.order)) first = found.store;
    }
    return first;
  };
  return {
    find(method: string, path: string): Found | 'malformed' | undefined {
      const found = match((method === 'HEAD' ? 'GET' : method) as HTTPMethod, path);
      if (found) return { chain: found.store.chain, params: found.params };
      const elsewhere = anyMethod(path);
      if (elsewhere) return { allow: methodsByPath.get(elsewhere.template) ?? [], template: elsewhere.template };
      // A route's path with an escape that does not decode (the tree then finds nothing): as
      // Express, which matches the path as sent and then fails to decode the parameter.
      if (path.includes('%') && !decodes(path) && anyMethod(path.replaceAll('%', '%25'))) return 'malformed';
      return undefined;
    },
  };
}

const decodes = (path: string) => {
  try {
    decodeURIComponent(path);
    return true;
  } catch {
    return false;
  }
};

/**
 * Runs a route's handlers in turn as Express runs a route's: each goes on with next(), an error
 * (passed, thrown or a rejected promise) goes to the router's error handler.
 */
function runChain(chain: RequestHandler[], req: Request, res: Response, done: (err?: unknown) => void) {
  let i = 0;
  const next = (err?: unknown) => {
    if (err) return done(err);
    const handler = chain[i++];
    if (!handler) return done();
    try {
      const result: unknown = handler(req, res, next);
      if (result instanceof Promise) result.catch((e: unknown) => done(e ?? new Error('a route handler rejected with nothing')));
    } catch (e) {
      done(e);
    }
  };
  next();
}

/**
 * The API as an Express router over the core's services: mount it where you like
 * (`app.use('/api/v1.0', createApiRouter(services))`). It parses and checks its own bodies,
 * authenticates each route, and answers its own errors and unknown paths as JSON.
 */
export function createApiRouter(services: Services, opts: ApiRouterOptions = {}): Router {
  const logger = opts.logger ?? silentLogger;
  const limit = opts.bodyLimit ?? '1mb';
  // The JSON text is kept (not copied) so that a body failing its schema can be answered with
  // the line and column of each problem.
  const json = express.json({
    limit,
    type: [...JSON_TYPES],
    verify: (_req, res, buf) => {
      (res as Response).locals.rawBody = buf;
    },
  });
  const yaml = express.text({ limit, type: [...YAML_TYPES] });
  // Definitions are read by the core from their text, JSON or YAML alike.
  const definition = express.text({ limit, type: [...JSON_TYPES, ...YAML_TYPES] });
  const router = Router();
  router.use(requestId);
  const routes = opts.routes ?? apiRoutes(opts).filter((r) => r.base === opts.base);
  const mountPath = opts.mountPath ?? opts.base ?? '';
  const table = routeTable(
    routes.map((spec) => {
      const chain: RequestHandler[] = [routeLabel(mountPath + spec.path), authenticate(services, opts.rateLimiter)];
      if (spec.definitionBody) chain.push(definition);
      else if (spec.body) chain.push(json, yaml);
      chain.push(serve(spec, services));
      return { method: spec.method.toUpperCase(), path: toExpressPath(spec.path), chain };
    }),
  );
  router.use((req: Request, res: Response, next) => {
    const found = table.find(req.method, req.path);
    if (found === 'malformed') return next(new URIError(`cannot decode ${req.path}`));
    if (found === undefined) return next();
    if ('allow' in found) {
      res.locals.route = mountPath + found.template.replace(/:(\w+)/g, '{$1}');
      res.set('Allow', found.allow.join(', '));
      return sendError(res, 405, 'METHOD_NOT_ALLOWED', `${req.method} is not allowed here; use ${found.allow.join(', ')}`);
    }
    req.params = found.params;
    runChain(found.chain, req, res, next);
  });
  if (opts.answerUnknownRoutes !== false)
    router.use((req: Request, res: Response) => sendError(res, 404, 'ROUTE_NOT_FOUND', `no route for ${req.method} ${req.originalUrl.split('?')[0]}`));
  router.use(errorHandler(logger));
  return router;
}
