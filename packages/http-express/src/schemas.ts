import {
  CONNECTOR_TYPES,
  type ConnectorType,
  CRITICALITIES,
  DEFAULT_PER_PAGE,
  DEFAULT_SUMMARY_DAYS,
  DEFINITION_FORMATS,
  JOB_TYPES,
  LOAD_MODES,
  MANAGED_PROVIDER,
  MAX_COMMENT_LENGTH,
  MAX_NOTE_LENGTH,
  MAX_PER_PAGE,
  MAX_SUMMARY_DAYS,
  MAX_SYNC_INTERVAL_SECONDS,
  MAX_WAIT_SECONDS,
  MIN_SYNC_INTERVAL_SECONDS,
  PIPELINE_ORIGINS,
  PIPELINE_STATUSES,
  ROLES,
  RUN_STAGES,
  RUN_STATUSES,
  RUN_TYPES,
  TASK_RUN_STATUSES,
} from '@signalbox/core';
import type { JSONSchema } from 'json-schema-to-ts';
import { seed3Schemas } from './seed3';
import type { Schema } from './validation';

/*
 * Every JSON Schema of the API, written once: request schemas are compiled by ajv at load time,
 * and the same objects (with the response schemas) make the OpenAPI document. The helpers keep
 * each schema's literal type, so a route's query and body types are derived from the schema
 * itself (see `route()`): a field renamed here breaks the handlers that read it at compile time.
 */

type Obj = Readonly<Record<string, unknown>>;
const str = <const E extends Obj = Record<never, never>>(extra?: E) => ({ type: 'string', ...extra }) as { readonly type: 'string' } & E;
const int = <const E extends Obj = Record<never, never>>(extra?: E) => ({ type: 'integer', ...extra }) as { readonly type: 'integer' } & E;
const nullable = <const S extends { readonly type: string }>(s: S) =>
  ({ ...s, type: [s.type, 'null'] }) as Omit<S, 'type'> & { readonly type: readonly [S['type'], 'null'] };
const dateTime = str({ format: 'date-time' });
const nDateTime = nullable(dateTime);
const obj = <const P extends Readonly<Record<string, JSONSchema>>, const R extends readonly (keyof P & string)[] = (keyof P & string)[]>(
  properties: P,
  required?: R,
) =>
  ({ type: 'object', additionalProperties: false, required: required ?? Object.keys(properties), properties }) as {
    readonly type: 'object';
    readonly additionalProperties: false;
    readonly required: R;
    readonly properties: P;
  };
const id = str({ format: 'uuid' });
const name = str({ minLength: 1, maxLength: 200 });
/** A nullable component: the referenced schema, or null. */
const refOrNull = (component: string) => ({ oneOf: [{ $ref: `#/components/schemas/${component}` }, { type: 'null' }] }) as const;
/** Pipeline providers: the connector types that sync pipelines (a warehouse syncs none), and `managed`. */
const PROVIDERS = [...CONNECTOR_TYPES.filter((t): t is Exclude<ConnectorType, 'warehouse'> => t !== 'warehouse'), MANAGED_PROVIDER] as const;

// ---------------------------------------------------------------- responses (components)

const errorDetail = obj(
  {
    field: str({ description: 'The field: a wire name, or for a definition a JSON pointer (`/transforms/1/query`).' }),
    reason: str(),
    line: int({ minimum: 1, description: 'For a body sent as text (YAML or JSON): the line of the problem, from 1.' }),
    column: int({ minimum: 1, description: 'With `line`: the column, from 1.' }),
    query_line: int({ minimum: 1, description: 'For an error inside a SQL query: its line within the query, from 1.' }),
    query_column: int({ minimum: 1, description: 'With `query_line`: the column within the query, from 1.' }),
  },
  ['reason'],
);

export const responseSchemas = {
  ErrorDetail: errorDetail,
  Error: obj({
    error: obj(
      {
        code: str(),
        message: str(),
        details: {
          type: 'array',
          items: errorDetail,
        },
        provider: obj({ name: str(), status: nullable(int()), message: str() }),
        sync: { $ref: '#/components/schemas/Sync' },
        current_version: int({ minimum: 1, description: 'On VERSION_CONFLICT: the current version number.' }),
        retry_after_seconds: int({ minimum: 1, description: 'With 429 RATE_LIMITED: the seconds to wait, as in `Retry-After`.' }),
      },
      ['code', 'message', 'details'],
    ),
  }),
  Space: obj({ id, slug: str(), name: str(), created_at: dateTime }),
  SpaceDetail: obj({
    id,
    slug: str(),
    name: str(),
    created_at: dateTime,
    role: { enum: [...ROLES], description: 'The role the caller acts with here (`admin` for an instance admin): what a client may offer them.' },
  }),
  User: obj({ id, email: str(), name: str(), instance_admin: { type: 'boolean' }, created_at: dateTime }),
  ApiKey: obj({ id, user_id: id, name: str(), prefix: str(), created_at: dateTime, expires_at: nDateTime, revoked_at: nDateTime }),
  IssuedApiKey: obj({
    id,
    user_id: id,
    name: str(),
    prefix: str(),
    key: str({ description: 'The key itself: shown this once, stored only as a hash.' }),
    created_at: dateTime,
    expires_at: nDateTime,
  }),
  Member: obj({ user_id: id, email: str(), name: str(), role: { enum: [...ROLES] }, created_at: dateTime }),
  Team: obj({ id, name: str(), created_at: dateTime }),
  Connector: obj({
    id,
    name: str(),
    type: { enum: [...CONNECTOR_TYPES] },
    config: {
      type: 'object',
      description:
        'Settings without secrets: `password` and `token` appear as `password_set` / `token_set`. A `warehouse` connector shows `{url, password_set}`: a password written in the URL was moved out of it when stored.',
    },
    cursor: nullable(str()),
    last_sync_at: nDateTime,
    last_sync_status: { enum: ['succeeded', 'failed', null] },
    last_error: nullable(str()),
    sync_interval_seconds: nullable(
      int({ minimum: MIN_SYNC_INTERVAL_SECONDS, description: 'Scheduled syncs every this many seconds; null: only when asked.' }),
    ),
    next_sync_at: {
      ...nDateTime,
      description: 'When the next scheduled sync starts (later after failures: the interval doubles per failure in a row, up to an hour).',
    },
    created_at: dateTime,
    updated_at: dateTime,
  }),
  ConnectorCheck: obj({ name: str(), version: nullable(str()), api_version: nullable(str()) }),
  Sync: obj({
    id,
    connector_id: id,
    status: { enum: ['running', 'succeeded', 'failed'] },
    triggered_by: nullable(id),
    started_at: dateTime,
    heartbeat_at: dateTime,
    finished_at: nDateTime,
    counts: obj({ pipelines: int(), removed_pipelines: int(), runs: int(), task_runs: int() }),
    error: nullable(str()),
  }),
  PipelineSummary: obj({
    days: int(),
    runs: int(),
    succeeded: int(),
    failed: int(),
    success_rate: nullable({ type: 'number' }),
    avg_duration_seconds: nullable({ type: 'number' }),
    p95_duration_seconds: nullable({ type: 'number' }),
    last_failure_at: nDateTime,
  }),
  Run: obj({
    id,
    pipeline_id: id,
    connector_id: {
      ...nullable(id),
      description: "The connector a synced run came from; for a managed run its engine's connector, null on the `embedded` engine.",
    },
    origin: { enum: [...PIPELINE_ORIGINS], description: 'Whether the run came from an orchestrator (`synced`) or ran a managed pipeline (`managed`).' },
    external_id: str(),
    status: { enum: [...RUN_STATUSES] },
    native_status: nullable(str()),
    run_type: { enum: [...RUN_TYPES] },
    logical_date: nDateTime,
    queued_at: nDateTime,
    started_at: nDateTime,
    finished_at: nDateTime,
    duration_seconds: nullable({ type: 'number' }),
    conf: nullable({ type: 'object' }),
    note: nullable(str()),
    triggered_by: nullable(id),
    created_at: dateTime,
    updated_at: dateTime,
    pipeline_version_id: { ...nullable(id), description: 'Managed runs: the version the run executes. Null for synced runs, as every field below.' },
    options: refOrNull('RunOptions'),
    progress: refOrNull('RunProgress'),
    rows_loaded: nullable(int({ minimum: 0, description: 'Rows written by load steps; null until the run has loaded anything, and for dry runs.' })),
    duration_ms: nullable(int({ minimum: 0, description: 'From start to end, once finished.' })),
    engine: refOrNull('RunEngine'),
    error: refOrNull('RunError'),
    cancel_requested_at: {
      ...nDateTime,
      description: 'When a cancel was asked for while the run ran; its engine stops it soon after (the status then becomes `canceled`).',
    },
  }),
  RunOptions: obj({
    full_refresh: { type: 'boolean', description: 'Incremental state ignored: sources read everything, destinations are replaced.' },
    dry_run: { type: 'boolean', description: 'Planned (EXPLAIN) in a rolled-back transaction; nothing in the warehouse changed.' },
    variables: {
      type: 'object',
      additionalProperties: { type: ['string', 'number', 'boolean', 'null'] },
      description: 'Every variable of the version: the value given, else its default.',
    },
    from_step: { ...nullable(str()), description: 'The first step that ran; earlier steps were skipped and their outputs reused.' },
  }),
  RunProgress: obj({
    stage: { enum: [...RUN_STAGES], description: '`queued` until the first step starts, then the stage of the step: `extract`, `transform` or `load`.' },
    step: { ...nullable(str()), description: 'The step running now, or the last one that ran; null while queued.' },
    rows_processed: int({ minimum: 0, description: "The sum of the finished steps' rows." }),
    steps_done: int({ minimum: 0 }),
    steps_total: int({ minimum: 0 }),
  }),
  RunEngine: obj({
    type: str({ description: '`embedded`, or the engine that ran it' }),
    manifest: { ...nullable({ type: 'object' }), description: 'What was submitted to the engine (the Argo Workflow); null on the embedded engine.' },
    metadata: { ...nullable({ type: 'object' }), description: "The engine's metadata of the submitted run; null on the embedded engine." },
  }),
  RunError: obj({
    code: str({ description: '`STEP_FAILED`, `RUN_TIMEOUT`, `RUN_CANCELED`, `WAREHOUSE_UNREACHABLE` …' }),
    message: str(),
    step: { ...nullable(str()), description: 'The step that failed; null when the run failed before any step.' },
  }),
  StepPlan: obj({
    plan: { description: "The warehouse's own plan: PostgreSQL's `EXPLAIN (FORMAT JSON)`." },
    estimated_rows: nullable({ type: 'number' }),
  }),
  TaskRun: obj({
    id,
    run_id: id,
    external_id: str(),
    task_id: str(),
    map_index: int(),
    status: { enum: [...TASK_RUN_STATUSES] },
    native_status: nullable(str()),
    try_number: int(),
    started_at: nDateTime,
    finished_at: nDateTime,
    duration_seconds: nullable({ type: 'number' }),
    operator: nullable(str()),
    created_at: dateTime,
    updated_at: dateTime,
    rows: nullable(
      int({
        minimum: 0,
        description: 'Steps of managed runs: rows the step wrote (for a merge, inserted plus updated); null otherwise, or until it finished.',
      }),
    ),
    error: { ...nullable(str()), description: 'Steps of managed runs: why the step failed (the database message).' },
    plan: { ...refOrNull('StepPlan'), description: "Steps of managed dry runs: the step's plan and its estimated rows." },
  }),
  Comment: obj({
    id,
    target_type: { enum: ['run', 'task_run'] },
    target_id: id,
    author_id: id,
    body: str(),
    created_at: dateTime,
    updated_at: dateTime,
  }),
  Health: obj({ status: { enum: ['ok', 'unavailable'] } }),
} satisfies Record<string, Schema>;

// ---------------------------------------------------------------- managed pipelines

const nStr = nullable(str());
const names = { type: 'array', items: str() } as const;

/** A step's `config`, as written and as normalized (only what is required differs). */
const stepConfig = <const Q extends JSONSchema>(query: Q) => ({
  query_type: { enum: ['sql'] },
  query,
  input_datasets: names,
  output_datasets: names,
  job_type: { enum: [...JOB_TYPES] },
  mode: { enum: [...LOAD_MODES] },
  key: names,
  incremental: obj({ cursor_column: str() }),
});

/** A step as the normalized definition has it (the seed-3 shape). */
const stepSchema = obj(
  {
    name: str(),
    config: obj(stepConfig(str()), ['query_type', 'query', 'input_datasets', 'output_datasets', 'job_type']),
    depends_on: names,
  },
  ['name', 'config', 'depends_on'],
);
const variablesSchema = {
  type: 'object',
  additionalProperties: { type: ['string', 'number', 'boolean', 'null'] },
  description: 'Variables with their defaults; a query refers to one as `:name`, bound as a parameter.',
} as const;

const versionInfoProps: Record<string, Schema> = {
  id,
  number: int({ minimum: 1 }),
  version: nStr,
  spec_hash: str({ description: 'sha256 of the normalized definition' }),
  created_at: dateTime,
  created_by: nullable(id),
  message: nStr,
};

export const managedSchemas = {
  Step: stepSchema,
  /** A normalized definition: whichever shape it was written in, steps in run order. */
  Definition: obj({
    name: str(),
    version: nStr,
    description: nStr,
    owner: nStr,
    tags: names,
    schedule: nStr,
    engine: str(),
    warehouse: nStr,
    max_active_runs: int({ minimum: 1 }),
    timeout_seconds: nullable(int({ minimum: 1 })),
    variables: variablesSchema,
    steps: { type: 'array', items: { $ref: '#/components/schemas/Step' } },
  }),
  VersionInfo: obj(versionInfoProps),
  PipelineVersion: obj({
    ...versionInfoProps,
    pipeline_id: id,
    source: str({ description: 'The definition exactly as sent' }),
    format: { enum: [...DEFINITION_FORMATS] },
    steps: { type: 'array', items: { $ref: '#/components/schemas/Step' } },
    variables: variablesSchema,
  }),
  VersionDiff: obj({
    from: { oneOf: [{ $ref: '#/components/schemas/VersionInfo' }, { type: 'null' }] },
    to: { $ref: '#/components/schemas/VersionInfo' },
    text_diff: str({ description: 'A unified diff of the two sources; empty when equal' }),
    steps: obj({ added: names, removed: names, changed: names }),
  }),
  Validation: obj({
    valid: { type: 'boolean' },
    errors: { type: 'array', items: { $ref: '#/components/schemas/ErrorDetail' } },
    warnings: { type: 'array', items: { $ref: '#/components/schemas/ErrorDetail' } },
    steps: { type: 'array', items: { $ref: '#/components/schemas/Step' } },
  }),
} satisfies Record<string, Schema>;

const definitionName = str({ pattern: '^[a-z0-9][a-z0-9_-]{0,127}$' });
const sqlQuery = str({ minLength: 1, description: 'One SQL statement (PostgreSQL); `:name` refers to a variable.' });
const definitionCommon = {
  name: definitionName,
  version: { type: ['string', 'number'], description: 'Your own label of this version, e.g. "1.0".' },
  description: nStr,
  owner: nStr,
  tags: names,
  schedule: nullable(str({ description: '5-field cron, UTC' })),
  variables: variablesSchema,
  engine: str({ description: '`embedded` (the default; the only engine that runs pipelines yet)' }),
  warehouse: nullable(
    str({
      description:
        "A `warehouse` connector's name: the PostgreSQL the steps run on. Null: the space's embedded warehouse (refused with WAREHOUSE_REQUIRED when Signalbox runs on PostgreSQL).",
    }),
  ),
  max_active_runs: int({ minimum: 1 }),
  timeout_seconds: nullable(int({ minimum: 1 })),
  base_version: int({ minimum: 1, description: 'PUT only: the version number this update is based on; another current version is 409 VERSION_CONFLICT.' }),
  message: nullable(str({ maxLength: 1000, description: 'Describes the version this request makes.' })),
} as const;

/**
 * The request body of create, validate and update, in either shape. The document describes it;
 * the core checks it (with line and column), so this schema is never run by the router.
 */
export const definitionRequestSchema: Schema = {
  description: 'A pipeline definition, JSON or YAML, in the `steps` shape or the `sources`/`transforms`/`destinations` shape.',
  oneOf: [
    obj(
      {
        ...definitionCommon,
        steps: {
          type: 'array',
          minItems: 1,
          items: obj(
            {
              name: str(),
              config: obj(stepConfig(sqlQuery), ['query', 'job_type']),
              depends_on: names,
            },
            ['name', 'config'],
          ),
        },
      },
      ['name', 'steps'],
    ),
    obj(
      {
        ...definitionCommon,
        sources: {
          type: 'array',
          minItems: 1,
          items: obj({ name: str(), query: sqlQuery, incremental: obj({ cursor_column: str() }) }, ['name', 'query']),
        },
        transforms: { type: 'array', items: obj({ name: str(), query: sqlQuery }, ['name', 'query']) },
        destinations: {
          type: 'array',
          items: obj(
            { name: str({ description: 'The table, e.g. analytics.user_activity' }), from: str(), mode: { enum: [...LOAD_MODES] }, key: names, step: str() },
            ['name', 'from'],
          ),
        },
      },
      ['name', 'sources'],
    ),
  ],
};

const pipelineProps: Record<string, Schema> = {
  id,
  origin: { enum: [...PIPELINE_ORIGINS] },
  connector_id: { ...nullable(id), description: "The connector it was synced from; for a managed pipeline its engine's connector, null for `embedded`." },
  provider: { enum: PROVIDERS },
  engine: { ...nStr, description: 'Managed pipelines: the engine that runs it; null for synced ones.' },
  current_version: { oneOf: [{ $ref: '#/components/schemas/VersionInfo' }, { type: 'null' }] },
  external_id: str(),
  name: str(),
  description: nullable(str()),
  owner: nullable(str()),
  tags: { type: 'array', items: str() },
  schedule: nullable(str()),
  paused: { type: 'boolean' },
  next_run_at: nDateTime,
  status: { enum: [...PIPELINE_STATUSES] },
  team_id: nullable(id),
  criticality: { enum: [...CRITICALITIES, null] },
  last_run_status: { enum: [...RUN_STATUSES, null] },
  last_run_at: nDateTime,
  removed_at: nDateTime,
  created_at: dateTime,
  updated_at: dateTime,
  summary: { $ref: '#/components/schemas/PipelineSummary' },
  watched: { type: 'boolean' },
};

/** A pipeline's top-level fields on the wire: what `fields` may name. */
export const PIPELINE_FIELD_NAMES: readonly string[] = Object.keys(pipelineProps);

export const pipelineSchemas = {
  Pipeline: obj(pipelineProps),
  PipelineFields: {
    ...obj(pipelineProps, []),
    description: 'A pipeline with only the top-level fields that `fields` asked for (a sparse fieldset).',
  },
  PipelineDetail: obj({
    ...pipelineProps,
    last_run: { oneOf: [{ $ref: '#/components/schemas/Run' }, { type: 'null' }] },
    definition: { oneOf: [{ $ref: '#/components/schemas/Definition' }, { type: 'null' }] },
  }),
  RunDetail: obj({
    ...(responseSchemas.Run.properties as Record<string, Schema>),
    task_runs: { type: 'array', items: { $ref: '#/components/schemas/TaskRun' } },
  }),
};

/** The seed-2 dialect (`/api/v1/pipelines`): its own envelope `{data, meta}` and item shapes. */
const seed2Meta = obj({ total: int({ minimum: 0 }), page: int({ minimum: 1 }), per_page: int({ minimum: 1 }) });
const seed2Props = {
  id,
  pipeline: str({ description: 'The pipeline’s name' }),
  status: { enum: [...RUN_STATUSES] },
  started_at: nDateTime,
  progress: obj({ stage: { enum: [...RUN_STAGES] }, rows_processed: int({ minimum: 0 }) }),
  finished_at: nDateTime,
  duration_ms: nullable(int({ minimum: 0 })),
  rows_loaded: nullable(int({ minimum: 0 })),
} as const;
export const seed2Schemas = {
  Seed2Pipeline: obj({
    name: str(),
    version: { ...nStr, description: 'The current version’s label, as the definition gives it' },
    status: { enum: [...PIPELINE_STATUSES] },
    schedule: nStr,
    last_run: {
      oneOf: [
        obj({
          id,
          status: { enum: [...RUN_STATUSES] },
          started_at: nDateTime,
          duration_ms: nullable(int({ minimum: 0 })),
          rows_loaded: nullable(int({ minimum: 0 })),
        }),
        { type: 'null' },
      ],
    },
    next_run_at: nDateTime,
  }),
  Seed2Run: obj(seed2Props),
  Seed2PipelineData: obj({ data: { $ref: '#/components/schemas/Seed2Pipeline' } }),
  Seed2PipelinePage: obj({ data: { type: 'array', items: { $ref: '#/components/schemas/Seed2Pipeline' } }, meta: seed2Meta }),
  Seed2RunData: obj({ data: { $ref: '#/components/schemas/Seed2Run' } }),
  Seed2RunPage: obj({ data: { type: 'array', items: { $ref: '#/components/schemas/Seed2Run' } }, meta: seed2Meta }),
};

export const components = { ...responseSchemas, ...pipelineSchemas, ...managedSchemas, ...seed2Schemas, ...seed3Schemas };
export type ComponentName = keyof typeof components;
export const ref = (name: ComponentName): Schema => ({ $ref: `#/components/schemas/${name}` });
export const listOf = (name: ComponentName): Schema => ({ type: 'array', items: ref(name) });

// ---------------------------------------------------------------- requests

/** The seed-2 dialect's page sizes. */
export const SEED2_PER_PAGE = 20;
export const SEED2_MAX_PER_PAGE = 100;

/** Past this a page number only overflows the database's offset arithmetic; no list is that long. */
export const MAX_PAGE = 1_000_000;
const pageQuery = {
  page: int({ minimum: 1, maximum: MAX_PAGE, default: 1, description: `Page number, 1 to ${MAX_PAGE}.` }),
  per_page: int({ minimum: 1, maximum: MAX_PER_PAGE, default: DEFAULT_PER_PAGE, description: `Page size, 1 to ${MAX_PER_PAGE}.` }),
} as const;
const query = <const P extends Readonly<Record<string, JSONSchema>>>(properties: P) =>
  ({ type: 'object', additionalProperties: false, properties }) as { readonly type: 'object'; readonly additionalProperties: false; readonly properties: P };

/**
 * A filter that takes one or more of `values`. The router splits each occurrence of the
 * parameter at commas, so `status=a,b`, `status=a&status=b` and a mix of both all arrive here
 * as `['a', 'b']`.
 */
const anyOf = <const V extends readonly string[]>(values: V, what: string) =>
  ({
    type: 'array',
    items: { enum: values },
    minItems: 1,
    description: `Keeps ${what} matching any of the values: one of ${values.join(', ')}; several as \`a,b\` or by repeating the parameter.`,
  }) as { readonly type: 'array'; readonly items: { readonly enum: V }; readonly minItems: 1; readonly description: string };

export const querySchemas = {
  page: query(pageQuery),
  pipelines: query({
    provider: anyOf(PROVIDERS, 'pipelines whose provider is'),
    origin: anyOf(PIPELINE_ORIGINS, 'pipelines whose origin is'),
    status: anyOf(PIPELINE_STATUSES, 'pipelines whose status is'),
    owner: str({ minLength: 1, maxLength: 200 }),
    criticality: anyOf(CRITICALITIES, 'pipelines whose criticality is'),
    team_id: id,
    connector_id: id,
    q: str({ minLength: 1, maxLength: 200, description: 'Case-insensitive text over name, dag id, description, owner and tags.' }),
    watched_only: { type: 'boolean', default: false },
    include_removed: { type: 'boolean', default: false },
    days: int({ minimum: 1, maximum: MAX_SUMMARY_DAYS, default: DEFAULT_SUMMARY_DAYS, description: 'Summary window in days.' }),
    fields: {
      type: 'array',
      items: { enum: PIPELINE_FIELD_NAMES },
      minItems: 1,
      description: `Only these top-level fields of each pipeline, for dashboards that poll (a sparse fieldset; without \`summary\` no summary is computed): any of ${PIPELINE_FIELD_NAMES.join(', ')}; several as \`a,b\` or by repeating the parameter.`,
    },
    ...pageQuery,
  }),
  pipeline: query({ days: int({ minimum: 1, maximum: MAX_SUMMARY_DAYS, default: DEFAULT_SUMMARY_DAYS }) }),
  runs: query({
    started_from: dateTime,
    started_to: dateTime,
    status: anyOf(RUN_STATUSES, 'runs whose status is'),
    run_type: anyOf(RUN_TYPES, 'runs whose run type is'),
    ...pageQuery,
  }),
  run: query({
    wait_seconds: int({
      minimum: 0,
      maximum: MAX_WAIT_SECONDS,
      default: 0,
      description: `Answer as soon as the run has finished, or after this many seconds (0 to ${MAX_WAIT_SECONDS}), whichever comes first. Waiting never cancels.`,
    }),
    changed_since: {
      ...dateTime,
      description:
        'With `wait_seconds`: answer also as soon as the run was written after this time (its `updated_at`: status, progress, a step). Pass the `updated_at` last seen to follow a run without polling.',
    },
  }),
  seed3Runs: query({ version_id: { ...id, description: 'Runs of this version only.' }, ...pageQuery }),
  diff: query({ against: { ...id, description: 'The version to compare with; default: the one before.' } }),
  seed2Pipelines: query({
    status: anyOf(PIPELINE_STATUSES, 'pipelines whose status is'),
    page: pageQuery.page,
    per_page: int({
      minimum: 1,
      maximum: SEED2_MAX_PER_PAGE,
      default: SEED2_PER_PAGE,
      description: `Page size, 1 to ${SEED2_MAX_PER_PAGE}; default ${SEED2_PER_PAGE}.`,
    }),
  }),
  seed2Runs: query({
    page: pageQuery.page,
    per_page: int({
      minimum: 1,
      maximum: SEED2_MAX_PER_PAGE,
      default: SEED2_PER_PAGE,
      description: `Page size, 1 to ${SEED2_MAX_PER_PAGE}; default ${SEED2_PER_PAGE}.`,
    }),
    limit: int({ minimum: 1, maximum: SEED2_MAX_PER_PAGE, description: 'The page size, as the seed’s clients name it; over `per_page` when both are given.' }),
  }),
  sync: query({ wait: { type: 'boolean', default: false, description: 'Wait (bounded) for the sync to end and answer 200 with its result.' } }),
  syncGet: query({
    wait_seconds: int({
      minimum: 0,
      maximum: MAX_WAIT_SECONDS,
      default: 0,
      description: `Answer as soon as the sync has ended, or after this many seconds (0 to ${MAX_WAIT_SECONDS}), whichever comes first.`,
    }),
  }),
} as const satisfies Record<string, Schema>;

const syncInterval = nullable(
  int({
    minimum: MIN_SYNC_INTERVAL_SECONDS,
    maximum: MAX_SYNC_INTERVAL_SECONDS,
    description: 'Scheduled syncs every this many seconds; null: only when asked. Default: 300 for airflow, null for mock.',
  }),
);

export const bodySchemas = {
  newSpace: obj({ slug: str({ minLength: 2, maxLength: 63 }), name }),
  newUser: obj({ email: str({ format: 'email', maxLength: 320 }), name, instance_admin: { type: 'boolean' } }, ['email', 'name']),
  newApiKey: obj({ name, expires_at: nDateTime }, ['name']),
  putMember: obj({ role: { enum: ROLES } }),
  team: obj({ name }),
  newConnector: obj({ name, type: { enum: CONNECTOR_TYPES }, config: { type: 'object' }, sync_interval_seconds: syncInterval }, ['name', 'type', 'config']),
  patchConnector: {
    ...obj(
      { name, config: { type: 'object', description: 'Merged into the stored config; a key set to null is removed.' }, sync_interval_seconds: syncInterval },
      [],
    ),
    minProperties: 1,
  },
  setTeam: obj({ team_id: nullable(id) }),
  setCriticality: obj({ criticality: { enum: [...CRITICALITIES, null] } }),
  trigger: obj(
    {
      conf: { ...nullable({ type: 'object' }), description: 'Synced pipelines: the run conf handed to the orchestrator.' },
      note: nullable(str({ maxLength: MAX_NOTE_LENGTH })),
      logical_date: { ...nDateTime, description: 'Synced pipelines: the logical date of the run.' },
      full_refresh: {
        type: 'boolean',
        description: 'Managed pipelines: ignore incremental state (sources read everything, destinations are replaced). Default false.',
      },
      dry_run: { type: 'boolean', description: 'Managed pipelines: plan every step (EXPLAIN) and change nothing in the warehouse. Default false.' },
      variables: {
        type: 'object',
        additionalProperties: { type: ['string', 'number', 'boolean', 'null'] },
        description: "Managed pipelines: values for the version's variables, over their defaults; an unknown name is 400 naming `variables.<name>`.",
      },
      version_id: { ...id, description: 'Managed pipelines: run this version of the pipeline instead of the current one.' },
      from_step: str({ minLength: 1, description: 'Managed pipelines: start at this step; earlier steps are skipped and their outputs reused.' }),
    },
    [],
  ),
  retry: obj(
    {
      from_step: str({
        minLength: 1,
        description: 'Managed runs: start the new run at this step; default the first step of the run that did not succeed.',
      }),
    },
    [],
  ),
  comment: obj({ body: str({ minLength: 1, maxLength: MAX_COMMENT_LENGTH }) }),
  paused: obj({ paused: { type: 'boolean' } }),
  restore: obj({ message: nullable(str({ maxLength: 1000 })) }, []),
  seed2Trigger: obj(
    {
      full_refresh: { type: 'boolean', description: 'Ignore incremental state: sources read everything, destinations are replaced. Default false.' },
      dry_run: { type: 'boolean', description: 'Plan every step (EXPLAIN) and change nothing in the warehouse. Default false.' },
      variables: {
        type: 'object',
        additionalProperties: { type: ['string', 'number', 'boolean', 'null'] },
        description: "Values for the version's variables, over their defaults; an unknown name is 400 naming `variables.<name>`.",
      },
    },
    [],
  ),
} as const satisfies Record<string, Schema>;
