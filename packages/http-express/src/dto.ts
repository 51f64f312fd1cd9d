import {
  type ApiKey,
  type Comment,
  type Connector,
  type ErrorDetail,
  type IssuedKey,
  type ManagedRun,
  type Membership,
  type PipelineDetail,
  type PipelineProjection,
  type PipelineVersion,
  type PipelineView,
  type ProviderInfo,
  pick,
  project,
  publicConfig,
  type Role,
  type Run,
  type RunDetail,
  type Space,
  type SyncRecord,
  type TaskRun,
  type Team,
  type User,
  type ValidationResult,
  type VersionDiff,
  type VersionInfo,
} from '@signalbox/core';

/* The wire format: snake_case, ISO 8601 times, secrets never included. */

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);

export const spaceDto = (s: Space) => ({ id: s.id, slug: s.slug, name: s.name, created_at: iso(s.createdAt) });
export const spaceDetailDto = (s: { space: Space; role: Role }) => ({ ...spaceDto(s.space), role: s.role });

export const userDto = (u: User) => ({
  id: u.id,
  email: u.email,
  name: u.name,
  instance_admin: u.instanceAdmin,
  created_at: iso(u.createdAt),
});

export const apiKeyDto = (k: ApiKey) => ({
  id: k.id,
  user_id: k.userId,
  name: k.name,
  prefix: k.prefix,
  created_at: iso(k.createdAt),
  expires_at: iso(k.expiresAt),
  revoked_at: iso(k.revokedAt),
});

export const issuedKeyDto = ({ apiKey: k, key }: IssuedKey) => ({
  id: k.id,
  user_id: k.userId,
  name: k.name,
  prefix: k.prefix,
  key,
  created_at: iso(k.createdAt),
  expires_at: iso(k.expiresAt),
});

export const memberDto = (m: Membership & { user: User }) => ({
  user_id: m.userId,
  email: m.user.email,
  name: m.user.name,
  role: m.role,
  created_at: iso(m.createdAt),
});

export const teamDto = (t: Team) => ({ id: t.id, name: t.name, created_at: iso(t.createdAt) });

export const connectorDto = (c: Connector) => ({
  id: c.id,
  name: c.name,
  type: c.type,
  config: publicConfig(c.config),
  cursor: c.cursor,
  last_sync_at: iso(c.lastSyncAt),
  last_sync_status: c.lastSyncStatus,
  last_error: c.lastError,
  sync_interval_seconds: c.syncIntervalSeconds,
  next_sync_at: iso(c.nextSyncAt),
  created_at: iso(c.createdAt),
  updated_at: iso(c.updatedAt),
});

export const connectorCheckDto = (i: ProviderInfo) => ({ name: i.name, version: i.version, api_version: i.apiVersion });

export const syncDto = (s: SyncRecord) => ({
  id: s.id,
  connector_id: s.connectorId,
  status: s.status,
  triggered_by: s.triggeredBy,
  started_at: iso(s.startedAt),
  heartbeat_at: iso(s.heartbeatAt),
  finished_at: iso(s.finishedAt),
  counts: {
    pipelines: s.counts.pipelines,
    removed_pipelines: s.counts.removedPipelines,
    runs: s.counts.runs,
    task_runs: s.counts.taskRuns,
  },
  error: s.error,
});

/** A detail of an error or a validation: snake_case, as every field of the API. */
export const detailDto = ({ queryLine, queryColumn, ...d }: ErrorDetail) => ({
  ...d,
  ...(queryLine === undefined ? {} : { query_line: queryLine }),
  ...(queryColumn === undefined ? {} : { query_column: queryColumn }),
});

export const versionInfoDto = (v: VersionInfo) => ({
  id: v.id,
  number: v.number,
  version: v.version,
  spec_hash: v.specHash,
  created_at: iso(v.createdAt),
  created_by: v.createdBy,
  message: v.message,
});

export const versionDto = (v: PipelineVersion) => ({
  ...versionInfoDto(v),
  pipeline_id: v.pipelineId,
  source: v.source,
  format: v.format,
  // The normalized definition is stored in its wire shape already.
  steps: v.spec.steps,
  variables: v.spec.variables,
});

export const versionDiffDto = (d: VersionDiff) => ({
  from: d.from ? versionInfoDto(d.from) : null,
  to: versionInfoDto(d.to),
  text_diff: d.textDiff,
  steps: d.steps,
});

export const validationDto = (v: ValidationResult) => ({
  valid: v.valid,
  errors: v.errors.map(detailDto),
  warnings: v.warnings.map(detailDto),
  steps: v.steps,
});

/**
 * A pipeline on the wire, as a projection of the core's view (pipeline/projection.ts): the list
 * has it rendered by the store (as JSON text), every other answer by `project`; both give the
 * same JSON. `current_version` is `versionInfoDto`'s shape, written here as data.
 */
export const PIPELINE_WIRE = {
  id: 'id',
  origin: 'origin',
  connector_id: 'connectorId',
  provider: 'provider',
  engine: 'engine',
  current_version: {
    id: 'currentVersion.id',
    number: 'currentVersion.number',
    version: 'currentVersion.version',
    spec_hash: 'currentVersion.specHash',
    created_at: 'currentVersion.createdAt',
    created_by: 'currentVersion.createdBy',
    message: 'currentVersion.message',
  },
  external_id: 'externalId',
  name: 'name',
  description: 'description',
  owner: 'owner',
  tags: 'tags',
  schedule: 'schedule',
  paused: 'paused',
  next_run_at: 'nextRunAt',
  status: 'status',
  team_id: 'teamId',
  criticality: 'criticality',
  last_run_status: 'lastRunStatus',
  last_run_at: 'lastRunAt',
  removed_at: 'removedAt',
  created_at: 'createdAt',
  updated_at: 'updatedAt',
  summary: {
    days: 'summary.days',
    runs: 'summary.runs',
    succeeded: 'summary.succeeded',
    failed: 'summary.failed',
    success_rate: 'summary.successRate',
    avg_duration_seconds: 'summary.avgDurationSeconds',
    p95_duration_seconds: 'summary.p95DurationSeconds',
    last_failure_at: 'summary.lastFailureAt',
  },
  watched: 'watched',
} as const satisfies PipelineProjection;

export const pipelineDto = (v: PipelineView) => project(PIPELINE_WIRE, v);

/** One projection per set of names asked, so that each set's SQL is compiled (and prepared) once. */
const sparse = new Map<string, PipelineProjection>();
const MAX_SPARSE = 256;

/** PIPELINE_WIRE cut to the top-level fields of `?fields=` (names already validated); all of it without. */
export function pipelineWireFields(fields: readonly string[] | undefined): PipelineProjection {
  if (!fields) return PIPELINE_WIRE;
  const key = [...new Set(fields)].sort().join(',');
  let projection = sparse.get(key);
  if (!projection) {
    projection = pick(PIPELINE_WIRE, fields);
    if (sparse.size < MAX_SPARSE) sparse.set(key, projection);
  }
  return projection;
}

export const pipelineDetailDto = (d: PipelineDetail) => ({ ...pipelineDto(d), last_run: d.lastRun ? runDto(d.lastRun) : null, definition: d.definition });

/**
 * A run on the wire. The fields of managed runs are always present, and null on a synced run: a
 * client reads one shape whatever the run's origin.
 */
export const runDto = (r: Run) => ({
  id: r.id,
  pipeline_id: r.pipelineId,
  connector_id: r.connectorId,
  origin: r.origin,
  external_id: r.externalId,
  status: r.status,
  native_status: r.nativeStatus,
  run_type: r.runType,
  logical_date: iso(r.logicalDate),
  queued_at: iso(r.queuedAt),
  started_at: iso(r.startedAt),
  finished_at: iso(r.finishedAt),
  duration_seconds: r.durationSeconds,
  conf: r.conf,
  note: r.note,
  triggered_by: r.triggeredBy,
  created_at: iso(r.createdAt),
  updated_at: iso(r.updatedAt),
  ...managedRunDto(r.managed),
});

// Options, progress, engine and error are stored in their wire shape; they are copied field by
// field all the same, so that what the API answers is exactly what its document declares.
const managedRunDto = (m: ManagedRun | null) => ({
  pipeline_version_id: m?.pipelineVersionId ?? null,
  options: m ? { full_refresh: m.options.full_refresh, dry_run: m.options.dry_run, variables: m.options.variables, from_step: m.options.from_step } : null,
  progress: m
    ? {
        stage: m.progress.stage,
        step: m.progress.step,
        rows_processed: m.progress.rows_processed,
        steps_done: m.progress.steps_done,
        steps_total: m.progress.steps_total,
      }
    : null,
  rows_loaded: m?.rowsLoaded ?? null,
  duration_ms: m?.durationMs ?? null,
  engine: m ? { type: m.engine.type, manifest: m.engine.manifest, metadata: m.engine.metadata } : null,
  error: m?.error ? { code: m.error.code, message: m.error.message, step: m.error.step } : null,
  cancel_requested_at: iso(m?.cancelRequestedAt),
});

export const taskRunDto = (t: TaskRun) => ({
  id: t.id,
  run_id: t.runId,
  external_id: t.externalId,
  task_id: t.taskId,
  map_index: t.mapIndex,
  status: t.status,
  native_status: t.nativeStatus,
  try_number: t.tryNumber,
  started_at: iso(t.startedAt),
  finished_at: iso(t.finishedAt),
  duration_seconds: t.durationSeconds,
  operator: t.operator,
  created_at: iso(t.createdAt),
  updated_at: iso(t.updatedAt),
  rows: t.rows,
  error: t.error,
  plan: t.plan ? { plan: t.plan.plan, estimated_rows: t.plan.estimatedRows } : null,
});

export const runDetailDto = (d: RunDetail) => ({ ...runDto(d.run), task_runs: d.taskRuns.map(taskRunDto) });

export const commentDto = (c: Comment) => ({
  id: c.id,
  target_type: c.target.kind,
  target_id: c.target.id,
  author_id: c.authorId,
  body: c.body,
  created_at: iso(c.createdAt),
  updated_at: iso(c.updatedAt),
});
