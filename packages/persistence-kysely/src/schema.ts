import type { RunEngine, RunError, RunOptions, RunProgress } from '@signalbox/core';
import type { ColumnType, Generated } from 'kysely';

/*
 * Table types for Kysely. Columns are snake_case as in SQL; ids are uuid (read back as strings).
 * Timestamps are timestamptz and come back as Date on both drivers.
 */

type Timestamp = ColumnType<Date, Date | string, Date | string>;
/** jsonb written as JSON text (both drivers then agree) and read back parsed. */
type Json<T> = ColumnType<T, string, string>;

export interface SpacesTable {
  id: string;
  slug: string;
  name: string;
  created_at: Timestamp;
}

export interface UsersTable {
  id: string;
  email: string;
  name: string;
  instance_admin: boolean;
  created_at: Timestamp;
}

export interface ApiKeysTable {
  id: string;
  user_id: string;
  name: string;
  prefix: string;
  hash: string;
  created_at: Timestamp;
  expires_at: Timestamp | null;
  revoked_at: Timestamp | null;
}

export interface MembershipsTable {
  space_id: string;
  user_id: string;
  role: string;
  created_at: Timestamp;
}

export interface TeamsTable {
  id: string;
  space_id: string;
  name: string;
  created_at: Timestamp;
}

export interface ConnectorsTable {
  id: string;
  space_id: string;
  name: string;
  type: string;
  /** The config without its secret keys. */
  config: Json<Record<string, unknown>>;
  /** The secret keys of the config, AES-256-GCM encrypted (see secret-box.ts); null when none. */
  secrets: string | null;
  cursor: string | null;
  last_sync_at: Timestamp | null;
  last_sync_status: string | null;
  last_error: string | null;
  sync_interval_seconds: number | null;
  next_sync_at: Timestamp | null;
  sync_failures: Generated<number>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface PipelinesTable {
  id: string;
  space_id: string;
  /** 'synced' or 'managed'. */
  origin: Generated<string>;
  /** Null only for a managed pipeline on the embedded engine. */
  connector_id: string | null;
  provider: string;
  external_id: string;
  name: string;
  description: string | null;
  owner: string | null;
  tags: ColumnType<string[], string[], string[]>;
  schedule: string | null;
  paused: boolean;
  next_run_at: Timestamp | null;
  team_id: string | null;
  criticality: string | null;
  last_run_status: string | null;
  last_run_at: Timestamp | null;
  removed_at: Timestamp | null;
  /** The last sync that listed this pipeline: `markRemoved` compares against it. */
  seen_by_sync: string | null;
  /** Lower-cased name, external id, description, owner and tags, U+001F between them: what `q` scans. */
  search_text: Generated<string>;
  /** Managed pipelines only (null for synced ones): the definition's engine and limits, and the current version. */
  engine: string | null;
  warehouse: string | null;
  max_active_runs: number | null;
  timeout_seconds: number | null;
  current_version_id: string | null;
  current_version_number: number | null;
  /** A managed pipeline's cursors (step name → cursor text); `{}` for every other. */
  incremental_state: ColumnType<Record<string, string>, string | undefined, string>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** Immutable versions of managed pipelines. */
export interface PipelineVersionsTable {
  id: string;
  space_id: string;
  pipeline_id: string;
  number: number;
  version: string | null;
  spec_hash: string;
  /** The definition's text exactly as sent. */
  source: string;
  format: string;
  /** The normalized definition (snake_case, as on the wire). */
  spec: Json<Record<string, unknown>>;
  created_by: string | null;
  created_at: Timestamp;
  message: string | null;
}

export interface WatchesTable {
  space_id: string;
  pipeline_id: string;
  user_id: string;
  created_at: Timestamp;
}

/** bigint: pg reads it as text, PGlite as a number or a bigint; the repositories convert. */
type Int8 = ColumnType<string | number | bigint, number, number>;

export interface RunsTable {
  id: string;
  space_id: string;
  /** 'synced' or 'managed'. */
  origin: Generated<string>;
  /** Null only for a managed run on the embedded engine. */
  connector_id: string | null;
  pipeline_id: string;
  external_id: string;
  status: string;
  native_status: string | null;
  run_type: string;
  logical_date: Timestamp | null;
  queued_at: Timestamp | null;
  started_at: Timestamp | null;
  finished_at: Timestamp | null;
  duration_seconds: number | null;
  conf: Json<Record<string, unknown> | null> | null;
  note: string | null;
  triggered_by: string | null;
  /** Fingerprint of the trigger request (conf, note, logical date); null for synced runs. */
  request_hash: string | null;
  /** Managed runs only (null for synced ones): the version run, the wire documents, and what the engine reported. */
  pipeline_version_id: string | null;
  options: Json<RunOptions> | null;
  progress: Json<RunProgress> | null;
  rows_loaded: Int8 | null;
  duration_ms: Int8 | null;
  engine: Json<RunEngine> | null;
  error: Json<RunError> | null;
  cancel_requested_at: Timestamp | null;
  run_at: Timestamp;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface TaskRunsTable {
  id: string;
  space_id: string;
  run_id: string;
  external_id: string;
  task_id: string;
  map_index: number;
  status: string;
  native_status: string | null;
  try_number: number;
  started_at: Timestamp | null;
  finished_at: Timestamp | null;
  duration_seconds: number | null;
  operator: string | null;
  /** Managed steps only: rows written, the database's error, and a dry run's plan (`{plan, estimated_rows}`). */
  rows: Int8 | null;
  error: string | null;
  plan: Json<{ plan: unknown; estimated_rows: number | null }> | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface CommentsTable {
  id: string;
  space_id: string;
  /** Exactly one of run_id and task_run_id is set: the comment's target. */
  run_id: string | null;
  task_run_id: string | null;
  author_id: string;
  body: string;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface SyncsTable {
  id: string;
  space_id: string;
  connector_id: string;
  status: string;
  triggered_by: string | null;
  started_at: Timestamp;
  heartbeat_at: Timestamp;
  finished_at: Timestamp | null;
  pipelines: Generated<number>;
  removed_pipelines: Generated<number>;
  runs: Generated<number>;
  task_runs: Generated<number>;
  error: string | null;
}

/** The background job queue: one row per queued or running job (see kysely-job-queue.ts). */
export interface JobsTable {
  id: string;
  name: string;
  key: string;
  payload: Json<Record<string, unknown>>;
  run_at: Timestamp;
  attempts: Generated<number>;
  lease_token: string | null;
  lease_until: Timestamp | null;
  last_error: string | null;
  created_at: Timestamp;
}

/** Request counters of the API's rate limits (rate-limiter-flexible's PostgreSQL layout: key, points, expiry in epoch ms). */
export interface RateLimitsTable {
  key: string;
  points: number;
  expire: string | null;
}

/** A data version per space, kept by triggers (see the space-list-state migration). */
export interface SpaceListStateTable {
  space_id: string;
  /** bigint: text from pg, a number from PGlite. */
  version: string | number;
}

export interface Schema {
  spaces: SpacesTable;
  users: UsersTable;
  api_keys: ApiKeysTable;
  memberships: MembershipsTable;
  teams: TeamsTable;
  connectors: ConnectorsTable;
  pipelines: PipelinesTable;
  pipeline_versions: PipelineVersionsTable;
  watches: WatchesTable;
  runs: RunsTable;
  task_runs: TaskRunsTable;
  comments: CommentsTable;
  syncs: SyncsTable;
  jobs: JobsTable;
  rate_limits: RateLimitsTable;
  space_list_state: SpaceListStateTable;
}

/** Every table, children before parents: the order to empty them in. */
export const TABLES: (keyof Schema)[] = [
  'jobs',
  'comments',
  'task_runs',
  'runs',
  'watches',
  'syncs',
  'pipeline_versions',
  'pipelines',
  'connectors',
  'teams',
  'memberships',
  'api_keys',
  'users',
  'space_list_state',
  'spaces',
  'rate_limits',
];
