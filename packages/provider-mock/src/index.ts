export { type Fleet, generateFleet, type MockFleetConfig, prng } from './fleet';
export { MOCK_CALLS_KEPT, MOCK_LIVE_RUNS_KEPT, type MockFault, MockProvider, MockProviderFactory, TRIGGERED_RUN_TIMELINE } from './mock-provider';
