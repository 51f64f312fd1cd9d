export { type ApiHarness, apiSuite, type MockControl } from './api-suite';
export { OpenApiChecker } from './openapi-check';
