export type { GenerateOptions, RunKind, RunState, StubDag, StubRun, StubTask, TaskState } from './data';
export { prng, StubStore, TASK_STATES } from './data';
export type { FaultKind, FaultResponder, FaultSpec } from './faults';
export { Faults, faultMiddleware } from './faults';
export type { SpecName, SpecValidator } from './openapi';
export { SPEC_DIR, SPEC_FILES, specFile, specValidator } from './openapi';
export type { AirflowStub, ApiVersion, LoggedRequest, StubOptions, StubUser } from './server';
export { startAirflowStub } from './server';
