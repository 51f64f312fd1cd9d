/*
 * A managed pipeline's definition, normalized. It is a document users write and read back (the
 * `definition` of a pipeline, the `steps` of a version), so its keys are the wire's snake_case, as
 * with a run's `conf`: stored as it is, returned as it is.
 */

/** What a step does, which decides its stage in a run's progress. */
export const JOB_TYPES = ['extract', 'data-transform', 'load'] as const;
export type JobType = (typeof JOB_TYPES)[number];

/** How a load step writes its table. */
export const LOAD_MODES = ['replace', 'append', 'merge'] as const;
export type LoadMode = (typeof LOAD_MODES)[number];

/** The engine every pipeline has unless it names an `argo` connector. */
export const EMBEDDED_ENGINE = 'embedded';

/** Names of managed pipelines: the address in the seed-2 dialect. */
export const MANAGED_NAME_PATTERN = /^[a-z0-9][a-z0-9_-]{0,127}$/;

/** A variable's default value. */
export type VariableValue = string | number | boolean | null;

/** One step, in the seed-3 shape. */
export interface StepSpec {
  name: string;
  config: {
    query_type: 'sql';
    /** One SQL statement; `:name` refers to a variable and is bound as a parameter, never spliced. */
    query: string;
    /** Datasets the step reads (given, or found by parsing the query). */
    input_datasets: string[];
    /** Datasets the step writes: its query's result (extract, transform) or its table (load). */
    output_datasets: string[];
    job_type: JobType;
    /** Load steps: how the table is written (default `replace`). */
    mode?: LoadMode;
    /** Load steps with mode `merge`: the key columns. */
    key?: string[];
    /** Extract steps that read incrementally: the query sees `:last_cursor`. */
    incremental?: { cursor_column: string };
  };
  /** Steps that must finish first: given, and those that write a dataset this one reads. */
  depends_on: string[];
}

/** A definition, normalized: whichever shape it was written in, steps in run order. */
export interface PipelineSpec {
  name: string;
  /** The user's own label of this version, e.g. "1.0". */
  version: string | null;
  description: string | null;
  owner: string | null;
  tags: string[];
  /** 5-field cron, UTC. */
  schedule: string | null;
  /** `embedded`, or the name of an `argo` connector of the space. */
  engine: string;
  /** A `warehouse` connector's name; null for the space's embedded warehouse. */
  warehouse: string | null;
  max_active_runs: number;
  timeout_seconds: number | null;
  variables: Record<string, VariableValue>;
  /** In run order: every step after the steps it depends on. */
  steps: StepSpec[];
}

/** Step names: what a run's progress and a task run show. */
export const STEP_NAME_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/;

/** Dataset and table names: an identifier, optionally schema-qualified (`analytics.user_activity`). */
export const DATASET_NAME_PATTERN = /^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?$/;

/** Variable names: what a query writes after `:` and PostgreSQL accepts as an unquoted identifier. */
export const VARIABLE_NAME_PATTERN = /^[a-z_][a-z0-9_]{0,62}$/;

/** The variable an incremental source's query sees: the cursor its last run reached. */
export const LAST_CURSOR_VARIABLE = 'last_cursor';

/** Bounds of the numeric settings. */
export const MAX_ACTIVE_RUNS_LIMIT = 100;
export const TIMEOUT_SECONDS_LIMIT = 86_400;
