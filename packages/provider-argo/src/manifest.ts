import { type EnginePlan, encodeStep, OUTCOME_FILE_ENV, STEP_ENV, WAREHOUSE_URL_ENV } from '@signalbox/core';
import type { ArgoConfig } from './config';
import { LABEL, type Workflow } from './types';

/** Labels on a managed run's Workflow (and its pods): which space, pipeline, version and run it is. */
export const MANAGED_LABEL = {
  runId: LABEL.signalboxRunId,
  spaceId: 'signalbox.io/space-id',
  pipelineId: 'signalbox.io/pipeline-id',
  versionId: 'signalbox.io/version-id',
  managedBy: 'app.kubernetes.io/managed-by',
} as const;

/** The annotation that maps the Workflow's task names back to the pipeline's step names. */
export const STEPS_ANNOTATION = 'signalbox.io/steps';

/** Where the step container writes its outcome, read back as the node's output parameter `outcome`. */
export const OUTCOME_PATH = '/tmp/signalbox-outcome.json';

const STEP_TEMPLATE = 'signalbox-step';
const MAX_TASK_NAME = 63;

/**
 * A step name as an Argo task name: `^[a-zA-Z0-9][-a-zA-Z0-9]*$` (no underscores), lower case, at
 * most 63 characters, unique in the workflow (a clash gets `-2`, `-3` …).
 */
export function taskNames(steps: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  const taken = new Set<string>();
  for (const step of steps) {
    const base =
      step
        .toLowerCase()
        .replace(/[^a-z0-9-]+/g, '-')
        .replace(/-+/g, '-')
        .replace(/^-+|-+$/g, '')
        .slice(0, MAX_TASK_NAME)
        .replace(/-+$/, '') || 'step';
    let name = base;
    for (let i = 2; taken.has(name); i++) name = `${base.slice(0, MAX_TASK_NAME - String(i).length - 1)}-${i}`;
    taken.add(name);
    out.set(step, name);
  }
  return out;
}

/** A variable's value as a workflow parameter (Argo's values are strings): JSON, so `null`, numbers and text stay apart. */
const parameterValue = (value: unknown) => JSON.stringify(value);

/**
 * A managed run as an Argo Workflow: a `dag` template with one task per step (each depending on the
 * previous one), every task running the step container with its statement as base64 of JSON in a
 * parameter (so Argo's `{{…}}` templating cannot touch the SQL or its bound values), the warehouse
 * URL from the connector's Kubernetes Secret (never in the manifest), the run's variables as
 * workflow parameters, and labels linking space, pipeline, version and run. Named by the plan, so
 * a second submission of the same run is refused (409) rather than run twice.
 */
export function workflowManifest(plan: EnginePlan, config: ArgoConfig): Workflow {
  const names = taskNames(plan.steps.map((s) => s.name));
  const task = (step: string) => names.get(step) as string;
  const labels = {
    [MANAGED_LABEL.runId]: plan.runId,
    [MANAGED_LABEL.spaceId]: plan.spaceId,
    [MANAGED_LABEL.pipelineId]: plan.pipeline.id,
    [MANAGED_LABEL.versionId]: plan.version.id,
    [MANAGED_LABEL.managedBy]: 'signalbox',
  };
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Workflow',
    metadata: {
      name: plan.name,
      labels,
      annotations: {
        'signalbox.io/pipeline': plan.pipeline.name,
        'signalbox.io/version': String(plan.version.number),
        [STEPS_ANNOTATION]: JSON.stringify(Object.fromEntries(plan.steps.map((s) => [task(s.name), s.name]))),
      },
    },
    spec: {
      entrypoint: 'main',
      ...(config.serviceAccount ? { serviceAccountName: config.serviceAccount } : {}),
      arguments: { parameters: Object.entries(plan.variables).map(([name, value]) => ({ name, value: parameterValue(value) })) },
      templates: [
        {
          name: 'main',
          dag: {
            tasks: plan.steps.map((s) => ({
              name: task(s.name),
              template: STEP_TEMPLATE,
              ...(s.dependsOn.length > 0 ? { dependencies: s.dependsOn.map(task) } : {}),
              arguments: { parameters: [{ name: 'step', value: encodeStep(s.statement) }] },
            })),
          },
        },
        {
          name: STEP_TEMPLATE,
          metadata: { labels },
          inputs: { parameters: [{ name: 'step' }] },
          container: {
            image: config.image,
            env: [
              { name: STEP_ENV, value: '{{inputs.parameters.step}}' },
              { name: WAREHOUSE_URL_ENV, valueFrom: { secretKeyRef: { name: config.warehouseSecret.name, key: config.warehouseSecret.key } } },
              { name: OUTCOME_FILE_ENV, value: OUTCOME_PATH },
            ],
          },
          outputs: { parameters: [{ name: 'outcome', valueFrom: { path: OUTCOME_PATH, default: '' } }] },
        },
      ],
    },
  };
}
