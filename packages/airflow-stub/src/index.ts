export { startAirflowStub } from './server';
export type { AirflowStub, ApiVersion, LoggedRequest, StubOptions, StubUser } from './server';
export { StubStore, TASK_STATES, prng } from './data';
export type { GenerateOptions, RunKind, RunState, StubDag, StubRun, StubTask, TaskState } from './data';
export { Faults } from './faults';
export type { FaultKind, FaultSpec } from './faults';
export { SPEC_DIR, SPEC_FILES, specFile, specValidator } from './openapi';
export type { SpecName, SpecValidator } from './openapi';
