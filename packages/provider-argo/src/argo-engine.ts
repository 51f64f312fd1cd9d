import {
  type ClusterEngine,
  type ClusterEngineFactory,
  type Connector,
  conflict,
  type EngineObservation,
  type EnginePlan,
  type EngineSubmission,
  isDomainError,
  type ObservedStep,
} from '@signalbox/core';
import { ArgoClient, type ArgoHttpOptions } from './argo-http';
import { argoConfigOf } from './config';
import { MANAGED_LABEL, STEPS_ANNOTATION, workflowManifest } from './manifest';
import { runStatusOf, taskStatusOf } from './mapping';
import type { NodeStatus, Workflow } from './types';

/** What a follow-up GET asks for: the run's state and nodes, none of its spec (the manifest is kept on the run). */
const OBSERVE_FIELDS = [
  'metadata.name',
  'metadata.uid',
  'metadata.resourceVersion',
  'metadata.labels',
  'metadata.annotations',
  'status.phase',
  'status.startedAt',
  'status.finishedAt',
  'status.progress',
  'status.message',
  'status.nodes',
].join(',');

const time = (s: string | undefined): Date | null => (s ? new Date(s) : null);

/** What a run keeps of a Workflow the server answered: enough to find it in Argo and see where it was. */
function metadataOf(wf: Workflow): Record<string, unknown> {
  const m = wf.metadata;
  return {
    name: m.name ?? null,
    namespace: m.namespace ?? null,
    uid: m.uid ?? null,
    resource_version: m.resourceVersion ?? null,
    creation_timestamp: m.creationTimestamp ?? null,
    phase: wf.status?.phase || null,
    progress: wf.status?.progress ?? null,
    message: wf.status?.message ?? null,
  };
}

/** A node's output parameter `outcome` (written by the step container): its rows and cursor. */
function outcomeOf(node: NodeStatus): { rows: number | null; cursor: string | null } {
  const params = (node as NodeStatus & { outputs?: { parameters?: { name: string; value?: string }[] } }).outputs?.parameters;
  const raw = params?.find((p) => p.name === 'outcome')?.value;
  if (!raw) return { rows: null, cursor: null };
  try {
    const o = JSON.parse(raw) as { rows?: unknown; cursor?: unknown };
    return { rows: typeof o.rows === 'number' ? o.rows : null, cursor: typeof o.cursor === 'string' ? o.cursor : null };
  } catch {
    return { rows: null, cursor: null };
  }
}

/**
 * The steps of a managed run's Workflow: for each task, its Retry node when it has one (the
 * attempts are its children), else its Pod or Skipped node; tasks without a node have not started.
 * Task names map back to step names through the manifest's annotation.
 */
export function observedSteps(wf: Workflow): ObservedStep[] {
  let stepOf: Record<string, string> = {};
  try {
    stepOf = JSON.parse(wf.metadata.annotations?.[STEPS_ANNOTATION] ?? '{}') as Record<string, string>;
  } catch {
    stepOf = {};
  }
  const nodes = Object.values(wf.status?.nodes ?? {});
  const byTask = new Map<string, NodeStatus>();
  for (const n of nodes) {
    const task = n.displayName ?? '';
    if (!(task in stepOf) || !['Pod', 'Retry', 'Skipped'].includes(n.type)) continue;
    const seen = byTask.get(task);
    if (!seen || n.type === 'Retry') byTask.set(task, n);
  }
  const order = Object.keys(stepOf);
  return [...byTask.entries()]
    .sort(([a], [b]) => order.indexOf(a) - order.indexOf(b))
    .map(([task, n]) => {
      const last =
        n.type === 'Retry'
          ? (n.children ?? [])
              .map((c) => wf.status?.nodes?.[c])
              .filter((c): c is NodeStatus => !!c)
              .at(-1)
          : n;
      const outcome = last ? outcomeOf(last) : { rows: null, cursor: null };
      const status = taskStatusOf(n.phase);
      return {
        name: stepOf[task],
        status: status === 'skipped' ? 'skipped' : status,
        nativeStatus: n.phase ?? null,
        startedAt: time(n.startedAt),
        finishedAt: time(n.finishedAt),
        message: n.message ?? null,
        rows: status === 'success' ? outcome.rows : null,
        cursor: status === 'success' ? outcome.cursor : null,
      };
    });
}

/** Argo Workflows as a cluster engine: one Workflow per managed run, named by the run (DESIGN §8). */
export class ArgoEngine implements ClusterEngine {
  constructor(
    private readonly client: ArgoClient,
    private readonly manifest: (plan: EnginePlan) => Workflow,
  ) {}

  async submit(plan: EnginePlan): Promise<EngineSubmission> {
    const workflow = this.manifest(plan);
    const manifest = workflow as unknown as Record<string, unknown>;
    if (plan.options.dry_run) {
      // The server validates it and answers it as it would store it; nothing is stored.
      const answered = await this.client.createWorkflow(workflow, { serverDryRun: true });
      return { manifest, metadata: { ...metadataOf(answered), server_dry_run: true } };
    }
    try {
      const created = await this.client.createWorkflow(workflow);
      return { manifest, metadata: metadataOf(created) };
    } catch (err) {
      if (!(isDomainError(err) && err.code === 'WORKFLOW_EXISTS')) throw err;
      // An earlier attempt created it and its answer was lost: the same run's workflow is adopted.
      const existing = await this.client.getWorkflow(plan.name, 'metadata,status.phase,status.progress,status.message');
      if (existing.metadata.labels?.[MANAGED_LABEL.runId] !== plan.runId) {
        throw conflict('WORKFLOW_EXISTS', `a workflow named ${plan.name} exists in Argo and belongs to no run of this pipeline`);
      }
      return { manifest, metadata: { ...metadataOf(existing), adopted: true } };
    }
  }

  async observe(name: string): Promise<EngineObservation> {
    const wf = await this.client.getWorkflow(name, OBSERVE_FIELDS);
    const status = runStatusOf(wf.status?.phase);
    return {
      status: status === 'canceled' ? 'failed' : status,
      nativeStatus: wf.status?.phase || null,
      message: wf.status?.message ?? null,
      startedAt: time(wf.status?.startedAt),
      finishedAt: time(wf.status?.finishedAt),
      steps: observedSteps(wf),
      metadata: metadataOf(wf),
    };
  }

  async stop(name: string, message: string): Promise<void> {
    try {
      await this.client.stopWorkflow(name, message);
    } catch (err) {
      // A workflow that has just finished cannot be stopped: the next look sees how it ended.
      if (isDomainError(err) && err.kind === 'invalid') return;
      throw err;
    }
  }
}

/** Makes the Argo engine of an `argo` connector. */
export function argoEngineFactory(options: Partial<ArgoHttpOptions> = {}): ClusterEngineFactory {
  return {
    create(connector: Connector): ClusterEngine {
      const config = argoConfigOf(connector);
      return new ArgoEngine(new ArgoClient(config.baseUrl, config.namespace, config.token, options), (plan) => workflowManifest(plan, config));
    },
  };
}
