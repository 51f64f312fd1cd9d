export { type AppOptions, buildApp } from './app';
export { clientErrorHandler, DEFAULT_MAX_HEADER_BYTES } from './client-errors';
export { errorHandler, STATUS } from './errors';
export { buildOpenApi, type OpenApiOptions } from './openapi';
export { createRateLimiter, DEFAULT_RATE_LIMITS, RATE_LIMIT_TABLE, type RateLimiter, type RateLimitSettings, type SqlClient } from './rate-limit';
export type { RouteSpec } from './route';
export { type ApiRouterOptions, apiRoutes, createApiRouter, requestId, seed3Routes } from './router';
export { DEFAULT_SYNC_WAIT_MS } from './routes/orchestration';
export { bodySchemas, components, querySchemas } from './schemas';
