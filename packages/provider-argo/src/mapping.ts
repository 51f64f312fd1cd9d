/** Argo objects as the core's pipelines, runs and task runs (docs/argo.md has the tables). */
import type { ProviderPipeline, ProviderRun, ProviderTaskRun, RunStatus, TaskRunStatus } from '@signalbox/core';
import { ANNOTATION, type CronWorkflow, LABEL, type NodeStatus, type Workflow, type WorkflowTemplate } from './types';

export type PipelineKind = 'WorkflowTemplate' | 'CronWorkflow';

const PREFIX: Record<PipelineKind, string> = { WorkflowTemplate: 'workflowtemplate/', CronWorkflow: 'cronworkflow/' };

/** Labels Signalbox puts on the workflows it triggers: the run id the core named the run with. */
export const TRIGGERED_RUN_LABEL = 'signalbox.io/triggered-run-id';

/** The external id of a pipeline: `workflowtemplate/<name>` or `cronworkflow/<name>`. */
export const pipelineIdOf = (kind: PipelineKind, name: string) => `${PREFIX[kind]}${name}`;

/** The kind and name a pipeline external id names, or undefined for one that is not of this adapter. */
export function parsePipelineId(externalId: string): { kind: PipelineKind; name: string } | undefined {
  for (const kind of Object.keys(PREFIX) as PipelineKind[]) {
    if (externalId.startsWith(PREFIX[kind])) {
      const name = externalId.slice(PREFIX[kind].length);
      if (name !== '') return { kind, name };
    }
  }
  return undefined;
}

/** The pipeline a workflow belongs to, from the labels Argo puts on a submitted workflow; undefined for neither. */
export function pipelineOfWorkflow(wf: Workflow): string | undefined {
  const labels = wf.metadata.labels ?? {};
  if (labels[LABEL.cronWorkflow]) return pipelineIdOf('CronWorkflow', labels[LABEL.cronWorkflow]);
  if (labels[LABEL.workflowTemplate]) return pipelineIdOf('WorkflowTemplate', labels[LABEL.workflowTemplate]);
  return undefined;
}

/** Whether sync reads the workflow: it has a pipeline and is not one of Signalbox's own managed runs. */
export const isSynced = (wf: Workflow): boolean => pipelineOfWorkflow(wf) !== undefined && !wf.metadata.labels?.[LABEL.signalboxRunId];

/** The run's external id: the run id Signalbox triggered it under, else the workflow's name. */
export const runIdOfWorkflow = (wf: Workflow): string => wf.metadata.labels?.[TRIGGERED_RUN_LABEL] || (wf.metadata.name ?? '');

const time = (s: string | undefined | null): Date | null => {
  if (!s) return null;
  const d = new Date(s);
  return Number.isNaN(d.getTime()) || d.getTime() <= 0 ? null : d;
};

const seconds = (from: Date | null, to: Date | null) => (from && to ? Math.max(0, (to.getTime() - from.getTime()) / 1000) : null);

/** Tags of a template or cron workflow: its labels as `key=value`, but Argo's own. */
const tagsOf = (labels: Record<string, string> | undefined): string[] =>
  Object.entries(labels ?? {})
    .filter(([k]) => !k.startsWith('workflows.argoproj.io/'))
    .map(([k, v]) => (v ? `${k}=${v}` : k))
    .sort();

const describe = (annotations: Record<string, string> | undefined) => annotations?.[ANNOTATION.description]?.trim() || null;

export function templatePipeline(t: WorkflowTemplate): ProviderPipeline {
  const name = t.metadata.name ?? '';
  return {
    externalId: pipelineIdOf('WorkflowTemplate', name),
    name,
    description: describe(t.metadata.annotations),
    owner: null,
    tags: tagsOf(t.metadata.labels),
    schedule: null,
    paused: false,
    nextRunAt: null,
  };
}

export function cronPipeline(c: CronWorkflow): ProviderPipeline {
  const name = c.metadata.name ?? '';
  const schedule = c.spec?.schedules?.find((s) => typeof s === 'string' && s.trim() !== '') ?? c.spec?.schedule ?? null;
  return {
    externalId: pipelineIdOf('CronWorkflow', name),
    name,
    description: describe(c.metadata.annotations),
    owner: null,
    tags: tagsOf(c.metadata.labels),
    schedule: schedule || null,
    paused: c.spec?.suspend === true,
    nextRunAt: null,
  };
}

/** A workflow's phase as a run status: Failed includes a stopped or terminated workflow (the core's cancel means failed). */
export function runStatusOf(phase: string | undefined): RunStatus {
  switch (phase) {
    case 'Running':
      return 'running';
    case 'Succeeded':
      return 'success';
    case 'Failed':
    case 'Error':
      return 'failed';
    default:
      // '' (not yet seen by the controller), Pending, or absent.
      return 'queued';
  }
}

export const isFinishedPhase = (phase: string | undefined) => phase === 'Succeeded' || phase === 'Failed' || phase === 'Error';

/** The workflow's arguments as a conf: parameter name → value (strings, as Argo keeps them). */
function confOf(wf: Workflow): Record<string, unknown> | null {
  const params = wf.spec?.arguments?.parameters;
  if (!Array.isArray(params) || params.length === 0) return null;
  const out: Record<string, unknown> = {};
  for (const p of params) if (p && typeof p.name === 'string') out[p.name] = p.value ?? null;
  return out;
}

/** `at` is when the answer was read; it is the run's `updatedAt`. */
export function runOf(wf: Workflow, pipelineExternalId: string, at: Date): ProviderRun {
  const labels = wf.metadata.labels ?? {};
  const startedAt = time(wf.status?.startedAt);
  const finishedAt = time(wf.status?.finishedAt);
  const phase = wf.status?.phase;
  return {
    pipelineExternalId,
    externalId: runIdOfWorkflow(wf),
    status: runStatusOf(phase),
    nativeStatus: phase || null,
    runType: labels[LABEL.cronWorkflow] && !labels[TRIGGERED_RUN_LABEL] ? 'scheduled' : 'manual',
    logicalDate: time(wf.metadata.annotations?.['workflows.argoproj.io/scheduled-time']),
    queuedAt: time(wf.metadata.creationTimestamp),
    startedAt,
    finishedAt,
    durationSeconds: seconds(startedAt, finishedAt),
    conf: confOf(wf),
    note: null,
    updatedAt: at,
  };
}

/** A node phase as a task run status (CLIENT-NOTES: Pending/Running run, Skipped/Omitted skip, Failed/Error fail). */
export function taskStatusOf(phase: string | undefined): TaskRunStatus {
  switch (phase) {
    case 'Pending':
    case 'Running':
      return 'running';
    case 'Succeeded':
      return 'success';
    case 'Skipped':
    case 'Omitted':
      return 'skipped';
    case 'Failed':
    case 'Error':
      return 'failed';
    default:
      return 'queued';
  }
}

const TASK_TYPES = new Set(['Pod', 'Retry', 'Skipped']);

/**
 * The task runs of a workflow: its Pod, Retry and Skipped nodes, but the attempts under a Retry
 * node (its Pod children), which count as its tries. The task id is the node's `displayName`; a
 * second node of the same display name (a template called twice) takes its full name less the
 * workflow's.
 */
export function taskRunsOf(wf: Workflow, pipelineExternalId: string, at: Date): ProviderTaskRun[] {
  const nodes = wf.status?.nodes;
  if (!nodes || typeof nodes !== 'object') return [];
  const all = Object.values(nodes).filter((n): n is NodeStatus => !!n && typeof n === 'object' && typeof n.id === 'string');
  const attempts = new Set<string>();
  for (const n of all) if (n.type === 'Retry') for (const c of n.children ?? []) attempts.add(c);
  const wfName = wf.metadata.name ?? '';
  const runExternalId = runIdOfWorkflow(wf);
  const taken = new Set<string>();
  const out: ProviderTaskRun[] = [];
  const ordered = all
    .filter((n) => TASK_TYPES.has(n.type) && !(n.type === 'Pod' && attempts.has(n.id)))
    .sort((a, b) => (a.startedAt ?? '').localeCompare(b.startedAt ?? '') || a.name.localeCompare(b.name));
  for (const n of ordered) {
    let taskId = n.displayName || n.name;
    if (taken.has(taskId)) taskId = n.name.startsWith(wfName) ? n.name.slice(wfName.length).replace(/^\./, '') || n.name : n.name;
    taken.add(taskId);
    const startedAt = time(n.startedAt);
    const finishedAt = time(n.finishedAt);
    let status = taskStatusOf(n.phase);
    let tryNumber = 1;
    if (n.type === 'Retry') {
      const tries = (n.children ?? []).map((c) => nodes[c]).filter((c): c is NodeStatus => !!c);
      tryNumber = Math.max(1, tries.length);
      // A Retry node still running after a failed attempt is waiting for its next try.
      if (status === 'running' && tries.some((c) => c.phase === 'Failed' || c.phase === 'Error') && !tries.some((c) => c.phase === 'Running'))
        status = 'retrying';
    }
    out.push({
      pipelineExternalId,
      runExternalId,
      taskId,
      mapIndex: -1,
      status,
      nativeStatus: n.phase || null,
      tryNumber,
      startedAt,
      finishedAt,
      durationSeconds: seconds(startedAt, finishedAt),
      operator: n.templateName || n.type || null,
      updatedAt: at,
    });
  }
  return out;
}
