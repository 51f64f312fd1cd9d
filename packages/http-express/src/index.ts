export { type AppOptions, buildApp } from './app';
export { errorHandler, STATUS } from './errors';
export { buildOpenApi, type OpenApiOptions } from './openapi';
export type { RouteSpec } from './route';
export { type ApiRouterOptions, apiRoutes, createApiRouter, requestId } from './router';
export { DEFAULT_SYNC_WAIT_MS } from './routes/orchestration';
export { bodySchemas, components, querySchemas } from './schemas';
