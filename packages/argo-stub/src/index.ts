export { exampleCreate } from './examples';
export type { Fields, RenderOptions } from './render';
export { applyFields, iso, parseFields, renderCron, renderTemplate, renderWorkflow } from './render';
export type { ArgoStub, ArgoStubOptions, LoggedRequest } from './server';
export { parseFieldSelector, parseLabelSelector, startArgoStub } from './server';
export type { ArgoStoreOptions, NodePhase, StubCron, StubNode, StubTemplate, StubWorkflow, TaskOutcome, WatchEventType, WorkflowPhase } from './store';
export {
  ArgoError,
  ArgoStore,
  fnv32,
  isFinished,
  LABEL_ARCHIVING,
  LABEL_COMPLETED,
  LABEL_CRON,
  LABEL_PHASE,
  LABEL_RESUBMITTED,
  LABEL_TEMPLATE,
  nodeId,
} from './store';
export type { ArgoOperationMatch, ArgoRequest, ArgoSpecVersion, ArgoSwagger } from './swagger';
export { ARGO_SPEC_VERSIONS, ARGO_SWAGGER_DIR, ARGO_SWAGGER_FILES, argoSwagger, argoSwaggerFile } from './swagger';
