/**
 * The Argo Workflows objects this adapter reads and writes (io.argoproj.workflow.v1alpha1.*), with
 * just the fields it uses. Times are RFC 3339 strings. Everything the server may leave out is
 * optional: a list asked with `fields`, or an item served from the archive, carries less.
 */

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  creationTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface ListMeta {
  continue?: string;
  resourceVersion?: string;
  remainingItemCount?: number;
}

export interface Parameter {
  name: string;
  value?: string;
  default?: string;
  description?: string;
  enum?: string[];
}

export interface Arguments {
  parameters?: Parameter[];
}

export type WorkflowPhase = '' | 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Error';

export type NodePhase = 'Pending' | 'Running' | 'Succeeded' | 'Skipped' | 'Failed' | 'Error' | 'Omitted';

export type NodeType = 'Pod' | 'Steps' | 'StepGroup' | 'DAG' | 'TaskGroup' | 'Retry' | 'Skipped' | 'Suspend' | 'Container' | 'HTTP' | 'Plugin';

export interface NodeStatus {
  id: string;
  name: string;
  type: NodeType | string;
  displayName?: string;
  phase?: NodePhase | string;
  startedAt?: string;
  finishedAt?: string;
  templateName?: string;
  message?: string;
  progress?: string;
  children?: string[];
  boundaryID?: string;
}

/** A template of a workflow spec; the adapter writes them, it reads none of their fields. */
export type Template = { name: string } & Record<string, unknown>;

export interface WorkflowSpec {
  entrypoint?: string;
  templates?: Template[];
  arguments?: Arguments;
  serviceAccountName?: string;
  workflowTemplateRef?: { name?: string; clusterScope?: boolean };
  shutdown?: string;
  suspend?: boolean;
  [key: string]: unknown;
}

export interface WorkflowStatus {
  phase?: WorkflowPhase | string;
  startedAt?: string;
  finishedAt?: string;
  progress?: string;
  message?: string;
  nodes?: Record<string, NodeStatus>;
}

export interface Workflow {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  spec?: WorkflowSpec;
  status?: WorkflowStatus;
}

export interface WorkflowList {
  metadata?: ListMeta;
  items?: Workflow[] | null;
}

export interface WorkflowTemplate {
  metadata: ObjectMeta;
  spec?: { arguments?: Arguments; entrypoint?: string; [key: string]: unknown };
}

export interface CronWorkflowSpec {
  /** 4.x (and 3.6+): the schedules; `schedule` was removed in 4.0. */
  schedules?: string[];
  /** 3.x: one schedule. */
  schedule?: string;
  timezone?: string;
  suspend?: boolean;
  workflowSpec?: WorkflowSpec;
}

export interface CronWorkflow {
  metadata: ObjectMeta;
  spec?: CronWorkflowSpec;
  status?: { lastScheduledTime?: string; active?: unknown[] };
}

export interface Version {
  version: string;
  gitCommit?: string;
  buildDate?: string;
  platform?: string;
}

/** The labels and annotations the adapter reads. */
export const LABEL = {
  workflowTemplate: 'workflows.argoproj.io/workflow-template',
  cronWorkflow: 'workflows.argoproj.io/cron-workflow',
  completed: 'workflows.argoproj.io/completed',
  /** Set on the workflows Signalbox runs itself (managed runs); sync skips them. */
  signalboxRunId: 'signalbox.io/run-id',
} as const;

export const ANNOTATION = {
  description: 'workflows.argoproj.io/description',
  title: 'workflows.argoproj.io/title',
  owner: 'workflows.argoproj.io/maintainer',
} as const;
