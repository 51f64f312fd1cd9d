export { type ApiHarness, apiSuite, type MockControl } from './api-suite';
export { OpenApiChecker } from './openapi-check';
export { type ManagedHarness, managedApiSuite, SOURCES_YAML, stepsJson } from './managed-suite';
