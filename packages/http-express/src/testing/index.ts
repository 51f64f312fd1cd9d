export { type ApiHarness, apiSuite, type MockControl } from './api-suite';
export { type ManagedRunsHarness, managedRunsApiSuite, type StepBehaviour, type WarehouseControl } from './managed-runs-suite';
export { type ManagedHarness, managedApiSuite, SOURCES_YAML, stepsJson } from './managed-suite';
export { OpenApiChecker } from './openapi-check';
export { type Seed2Harness, seed2ApiSuite } from './seed2-suite';
export { type Seed3Harness, seed3ApiSuite } from './seed3-suite';
