import type { Id } from '../common';
import { type JobType, LAST_CURSOR_VARIABLE, type PipelineSpec, type StepSpec, type VariableValue } from '../definition/spec';
import type { SqlParser } from '../ports/definition-tools';
import type { StepStatement, TableName } from '../ports/warehouse';
import type { RunOptions, RunStage } from '../run/run';

/** The stage of a run's progress while a step of each job type runs. */
export const STAGE_OF: Record<JobType, RunStage> = { extract: 'extract', 'data-transform': 'transform', load: 'load' };

/**
 * The schema where a pipeline's datasets without a schema live. Named after the pipeline so a user
 * finds it, and after its id so that two pipelines never share one: not the same name in two spaces
 * on one warehouse connector, not a pipeline deleted and created again (which starts fresh).
 */
export function stagingSchema(pipelineName: string, pipelineId: Id): string {
  const readable = pipelineName.replace(/-/g, '_').slice(0, 40);
  return `staging_${readable}_${idSuffix(pipelineId)}`;
}

/**
 * The random part of an id. A random (version 4) id is random from its start: its first 8 hex
 * digits, as schemas were named before time-ordered ids (so existing pipelines keep theirs). A
 * time-ordered (version 7) id starts with its millisecond, shared by every id made within about a
 * minute: its last 12 hex digits, which are random.
 */
function idSuffix(id: Id): string {
  const hex = id.replace(/-/g, '').toLowerCase();
  return hex[12] === '7' ? hex.slice(-12) : hex.slice(0, 8);
}

/** A dataset's table: `schema.table` as written, or the staging schema's for a bare name. */
export function datasetTable(dataset: string, staging: string): TableName {
  const dot = dataset.indexOf('.');
  return dot === -1 ? { schema: staging, name: dataset } : { schema: dataset.slice(0, dot), name: dataset.slice(dot + 1) };
}

/** What a run of a version needs to compile its steps. */
export interface RunPlanInput {
  runId: Id;
  pipeline: { id: Id; name: string };
  spec: PipelineSpec;
  options: RunOptions;
  /** The incremental state: the cursor each incremental source reached when a run last succeeded. */
  cursors: Record<string, string>;
}

/** A version's steps from `from_step` on: the ones a run of those options runs. */
export function stepsToRun(spec: PipelineSpec, fromStep: string | null): StepSpec[] {
  const start = fromStep === null ? 0 : spec.steps.findIndex((s) => s.name === fromStep);
  return spec.steps.slice(Math.max(0, start));
}

/**
 * Each step as its warehouse runs it: the query with its variables as `$n` and their values bound,
 * where its rows go and how. A full refresh replaces every table and shows incremental sources a
 * null `:last_cursor`. Throws when a query no longer parses (a version is checked when it is
 * written, so only a parser that changed can).
 */
export async function compileSteps(input: RunPlanInput, steps: StepSpec[], parser: SqlParser): Promise<StepStatement[]> {
  const staging = stagingSchema(input.pipeline.name, input.pipeline.id);
  return Promise.all(
    steps.map(async (step): Promise<StepStatement> => {
      const analysis = await parser.analyze(step.config.query);
      if (!analysis.ok) throw new Error(`step '${step.name}': its query does not parse: ${analysis.message}`);
      const params = analysis.variables.map(({ name }) => variableValue(input, step, name));
      const output = step.config.output_datasets[0];
      const incremental = step.config.incremental;
      return {
        runId: input.runId,
        step: step.name,
        jobType: step.config.job_type,
        sql: analysis.positional,
        params,
        searchPath: [staging, 'public'],
        output: output === undefined ? null : datasetTable(output, staging),
        mode: input.options.full_refresh ? 'replace' : (step.config.mode ?? 'replace'),
        ...(step.config.key ? { key: step.config.key } : {}),
        ...(incremental ? { cursorColumn: incremental.cursor_column } : {}),
      };
    }),
  );
}

function variableValue(input: RunPlanInput, step: StepSpec, name: string): VariableValue {
  if (name === LAST_CURSOR_VARIABLE && step.config.incremental) {
    return input.options.full_refresh ? null : (input.cursors[step.name] ?? null);
  }
  return input.options.variables[name] ?? null;
}
