import type { Logger, Services } from '@signalbox/core';
import { silentLogger } from '@signalbox/core';
import express, { type Express, type Request, type Response } from 'express';
import { consoleFiles } from './console-files';
import { errorHandler, sendError } from './errors';
import { createMetrics, type Metrics, metricsHandler, UNMATCHED_ROUTE } from './metrics';
import { buildOpenApi } from './openapi';
import { referencePage } from './reference-page';
import { type ApiRouterOptions, apiRoutes, createApiRouter, requestId, seed3Routes } from './router';

export interface AppOptions extends ApiRouterOptions {
  /** Resolves when the app can serve (the database answers); rejects otherwise. */
  ready: () => Promise<void>;
  /** Where the API is mounted. Default `/api/v1.0`. */
  basePath?: string;
  /** Log one line per request (method, path, status, duration, request id; never headers). Default true. */
  accessLog?: boolean;
  /** Express's `trust proxy`: which proxies' X-Forwarded-For names the client (and so the address rate limits count). Default: none. */
  trustProxy?: string | number | boolean | null;
  /** What `GET /metrics` shows; pass its `telemetry` to the core too. Default: this app's requests and its process. */
  metrics?: Metrics;
  /** When set, `GET /metrics` answers only `Authorization: Bearer <token>`. Default: open. */
  metricsToken?: string | null;
  /** The console's built files (apps/console/dist), served at `/ui`. Default: none, and `/ui` answers 503. */
  consoleDir?: string;
}

/** The status counted and logged for a request whose client hung up before it was answered (nginx's 499). */
export const CLIENT_CLOSED = 499;

const health = (description: string) => ({
  get: {
    operationId: description === 'live' ? 'healthLive' : 'healthReady',
    summary: description === 'live' ? 'The process answers' : 'The process can serve: the database answers',
    tags: ['health'],
    security: [],
    responses: {
      200: { description: 'OK', content: { 'application/json': { schema: { $ref: '#/components/schemas/Health' } } } },
      ...(description === 'ready'
        ? { 503: { description: 'Not ready', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } } }
        : {}),
    },
  },
});

/**
 * The OpenAPI document the standalone app serves at `/openapi.json`: the canonical API at
 * `basePath`, the dialects, the health checks and the document itself.
 */
export function openApiDocument(opts: { basePath?: string; syncWaitMs?: number } = {}): Record<string, unknown> {
  return buildOpenApi(apiRoutes(opts), {
    basePath: opts.basePath ?? '/api/v1.0',
    extraPaths: {
      ...(buildOpenApi(seed3Routes, { basePath: '' }).paths as Record<string, unknown>),
      '/health/live': health('live'),
      '/health/ready': health('ready'),
      '/openapi.json': {
        get: { operationId: 'openapi', summary: 'This document', tags: ['health'], security: [], responses: { 200: { description: 'OpenAPI 3.1' } } },
      },
    },
  });
}

/**
 * The standalone app: health checks, the OpenAPI document, the API under `/api/v1.0`, its
 * reference page at `/docs`, the console at `/ui` and the metrics at `/metrics`.
 */
export function buildApp(services: Services, opts: AppOptions): Express {
  const logger: Logger = opts.logger ?? silentLogger;
  // A trailing slash names the same mount point ('/' is the root).
  const basePath = (opts.basePath ?? '/api/v1.0').replace(/\/+$/, '');
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  if (opts.trustProxy !== undefined && opts.trustProxy !== null) app.set('trust proxy', opts.trustProxy);
  const metrics = opts.metrics ?? createMetrics();
  const accessLog = opts.accessLog !== false;
  // One listener for every response (no closure per request): 'close' comes for every request,
  // also one whose client hung up before the answer ('finish' does not).
  function answered(this: Response) {
    const ms = Number(process.hrtime.bigint() - this.locals.start) / 1e6;
    const status = this.writableFinished ? this.statusCode : CLIENT_CLOSED;
    // The route that answered names it (see `routeLabel`); a path no route took is one label.
    metrics.request(this.req.method, this.locals.route ?? UNMATCHED_ROUTE, status, ms / 1000);
    if (!accessLog) return;
    logger.info('request', {
      request_id: this.locals.requestId,
      method: this.req.method,
      path: this.req.originalUrl.split('?')[0],
      status,
      duration_ms: Math.round(ms * 10) / 10,
      user_id: this.locals.actor?.userId,
    });
  }
  app.use((req, res, next) => {
    res.locals.start = process.hrtime.bigint();
    res.on('close', answered);
    requestId(req, res, next);
  });

  // The API first: the routes after it are few and rarely asked for. An API mounted at the root
  // answers every unknown path with its 404, so there it comes after all of them, dialects included.
  const api = createApiRouter(services, { ...opts, mountPath: basePath });
  const atRoot = basePath === '';
  if (!atRoot) app.use(basePath, api);
  const document = openApiDocument({ basePath, syncWaitMs: opts.syncWaitMs });
  app.get('/health/live', (_req: Request, res: Response) => {
    res.locals.route = '/health/live';
    res.json({ status: 'ok' });
  });
  app.get('/health/ready', async (_req: Request, res: Response) => {
    res.locals.route = '/health/ready';
    try {
      await opts.ready();
      res.json({ status: 'ok' });
    } catch (err) {
      logger.warn('not ready', { request_id: res.locals.requestId, error: err instanceof Error ? err.message : String(err) });
      sendError(res, 503, 'NOT_READY', 'the database does not answer');
    }
  });
  app.get('/openapi.json', (_req: Request, res: Response) => {
    res.locals.route = '/openapi.json';
    res.json(document);
  });
  app.get('/metrics', metricsHandler(metrics, opts.metricsToken));
  app.use(referencePage());
  app.use(consoleFiles(opts.consoleDir));
  // The dialects' routers answer their own unknown paths only under their own mount points.
  for (const base of new Set(apiRoutes(opts).flatMap((r) => (r.base ? [r.base] : []))))
    app.use(base, createApiRouter(services, { ...opts, base, mountPath: base }));
  app.use(createApiRouter(services, { ...opts, routes: seed3Routes, answerUnknownRoutes: false, mountPath: '' }));
  if (atRoot) app.use(api);
  app.use((req: Request, res: Response) => sendError(res, 404, 'ROUTE_NOT_FOUND', `no route for ${req.method} ${req.originalUrl.split('?')[0]}`));
  app.use(errorHandler(logger));
  return app;
}
