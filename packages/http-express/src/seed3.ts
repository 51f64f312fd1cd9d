import { type Run, type RunStatus, type RunWithVersion, type TaskRun, type TaskRunStatus, workflowNameOf } from '@signalbox/core';
import type { Schema } from './validation';

/*
 * The seed-3 dialect's wire format (docs/http-api.md, "Seed-3 dialect"): runs of a versioned
 * pipeline as an Argo-backed service shows them, whichever engine ran them.
 */

/** An Argo node's phases: the words a seed-3 client reads a step's status in. */
export const ARGO_NODE_PHASES = ['Pending', 'Running', 'Succeeded', 'Failed', 'Error', 'Skipped', 'Omitted'] as const;
export type ArgoNodePhase = (typeof ARGO_NODE_PHASES)[number];
/** An Argo Workflow's phases: the words of a seed-3 run's status. */
export const ARGO_WORKFLOW_PHASES = ['Pending', 'Running', 'Succeeded', 'Failed', 'Error'] as const;
export type ArgoWorkflowPhase = (typeof ARGO_WORKFLOW_PHASES)[number];

/**
 * A step's status in Argo's words. A step that was never started because a step before it failed
 * is `Omitted` (Argo's word for a DAG task its dependencies ruled out); a step left out on purpose
 * (skipped, or gone from the DAG) is `Skipped`; a retry in progress is still `Running`.
 */
export const STEP_PHASE: Record<TaskRunStatus, ArgoNodePhase> = {
  pending: 'Pending',
  queued: 'Pending',
  running: 'Running',
  retrying: 'Running',
  success: 'Succeeded',
  failed: 'Failed',
  skipped: 'Skipped',
  upstream_failed: 'Omitted',
  removed: 'Skipped',
};

/** A run's status in Argo's words; a canceled run is `Failed`, as a stopped Workflow is. */
export const RUN_PHASE: Record<RunStatus, ArgoWorkflowPhase> = {
  queued: 'Pending',
  running: 'Running',
  success: 'Succeeded',
  failed: 'Failed',
  canceled: 'Failed',
};

/** The orchestrator's own word when it already is Argo's (a run synced from Argo), else the mapping. */
const phaseOf = <P extends string>(native: string | null, phases: readonly P[], mapped: P): P =>
  native !== null && (phases as readonly string[]).includes(native) ? (native as P) : mapped;

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);

const runStepDto = (t: TaskRun, runName: string) => ({
  name: t.taskId,
  run_name: runName,
  status: phaseOf(t.nativeStatus, ARGO_NODE_PHASES, STEP_PHASE[t.status]),
  started_at: iso(t.startedAt),
  finished_at: iso(t.finishedAt),
});

const pipelineVersionDto = (v: NonNullable<RunWithVersion['version']>) => ({
  id: v.version.id,
  pipeline_id: v.version.pipelineId,
  // A version's steps are written with it.
  steps: v.version.spec.steps.map((step, i) => ({ name: step.name, config: step.config, created_at: iso(v.version.createdAt), id: v.stepIds[i] })),
  created_at: iso(v.version.createdAt),
});

/** A run in the seed-3 shape; `argo_manifest`/`argo_metadata` are `{}` for a run not submitted to Argo. */
export const seed3RunDto = ({ run, taskRuns, version }: RunWithVersion) => {
  const name = workflowNameOf(run.id);
  return {
    id: run.id,
    pipeline_config_version_id: run.managed?.pipelineVersionId ?? null,
    name,
    status: phaseOf(run.nativeStatus, ARGO_WORKFLOW_PHASES, RUN_PHASE[run.status]),
    argo_manifest: engineField(run, 'manifest'),
    argo_metadata: engineField(run, 'metadata'),
    pipeline_version: version ? pipelineVersionDto(version) : null,
    created_at: iso(run.createdAt),
    finished_at: iso(run.finishedAt),
    run_steps: taskRuns.map((t) => runStepDto(t, name)),
  };
};

const engineField = (run: Run, field: 'manifest' | 'metadata') => run.managed?.engine[field] ?? {};

// ---------------------------------------------------------------- schemas (OpenAPI components)

const str = { type: 'string' } as const;
const dateTime = { type: 'string', format: 'date-time' } as const;
const nDateTime = { type: ['string', 'null'], format: 'date-time' } as const;
const uuid = { type: 'string', format: 'uuid' } as const;
const strict = (properties: Record<string, Schema>) => ({ type: 'object', additionalProperties: false, required: Object.keys(properties), properties });

export const seed3Schemas = {
  Seed3RunStep: strict({
    name: { ...str, description: 'The step name' },
    run_name: { ...str, description: "The run's `name`" },
    status: { enum: [...ARGO_NODE_PHASES], description: 'In Argo node phases, for runs of every engine' },
    started_at: nDateTime,
    finished_at: nDateTime,
  }),
  Seed3VersionStep: strict({
    name: str,
    config: { $ref: '#/components/schemas/Step/properties/config' },
    created_at: dateTime,
    id: { ...uuid, description: 'Stable: derived from the version id and the step name' },
  }),
  Seed3PipelineVersion: strict({
    id: uuid,
    pipeline_id: uuid,
    steps: { type: 'array', items: { $ref: '#/components/schemas/Seed3VersionStep' } },
    created_at: dateTime,
  }),
  Seed3Run: strict({
    id: uuid,
    pipeline_config_version_id: { type: ['string', 'null'], format: 'uuid', description: 'The version the run executed; null for a synced run' },
    name: { ...str, description: 'The workflow name, `signalbox-` and the 32 hex digits of the run id (also for embedded runs)' },
    status: { enum: [...ARGO_WORKFLOW_PHASES], description: 'In Argo workflow phases; a canceled run is `Failed`' },
    argo_manifest: { type: 'object', description: 'The submitted Workflow; `{}` for a run not on Argo' },
    argo_metadata: { type: 'object', description: "The Argo server's metadata of it; `{}` for a run not on Argo" },
    pipeline_version: { oneOf: [{ $ref: '#/components/schemas/Seed3PipelineVersion' }, { type: 'null' }] },
    created_at: dateTime,
    finished_at: nDateTime,
    run_steps: { type: 'array', items: { $ref: '#/components/schemas/Seed3RunStep' } },
  }),
} satisfies Record<string, Schema>;
