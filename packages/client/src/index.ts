export {
  API_BASE,
  type ClientOptions,
  type Comment,
  type Connector,
  type DefinitionInput,
  definitionName,
  isFinished,
  type NamedPipeline,
  type Page,
  type PipelineRun,
  type Run,
  type RunDetail,
  RunHandle,
  type RunOptions,
  type RunProgress,
  Signalbox,
  type Space,
  type Sync,
  type Validation,
  type WaitOptions,
} from './client';
export { ApiError, ConnectionError, type ErrorBody, type ErrorDetail, SignalboxError, WaitTimeoutError } from './errors';
export type { components, paths } from './generated/openapi';
