export { type Fleet, generateFleet, type MockFleetConfig, prng } from './fleet';
export { type MockFault, MockProvider, MockProviderFactory, TRIGGERED_RUN_TIMELINE } from './mock-provider';
