import { type Kysely, sql } from 'kysely';

/*
 * The initial schema. Names and slugs use the "C" collation so that ORDER BY sorts by code point,
 * as the core's reference implementation does, whatever the database's default locale.
 * Statements run one at a time: PGlite's extended protocol takes a single statement per query.
 */
const UP = [
  `CREATE TABLE spaces (
    id uuid PRIMARY KEY,
    slug text COLLATE "C" NOT NULL,
    name text NOT NULL,
    created_at timestamptz NOT NULL,
    CONSTRAINT spaces_slug_key UNIQUE (slug)
  )`,
  `CREATE TABLE users (
    id uuid PRIMARY KEY,
    email text COLLATE "C" NOT NULL,
    name text NOT NULL,
    instance_admin boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL,
    CONSTRAINT users_email_key UNIQUE (email)
  )`,
  `CREATE TABLE api_keys (
    id uuid PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name text NOT NULL,
    prefix text NOT NULL,
    hash text NOT NULL,
    created_at timestamptz NOT NULL,
    expires_at timestamptz,
    revoked_at timestamptz,
    CONSTRAINT api_keys_hash_key UNIQUE (hash)
  )`,
  `CREATE INDEX api_keys_user_idx ON api_keys (user_id, created_at DESC, id DESC)`,
  `CREATE TABLE memberships (
    space_id uuid NOT NULL REFERENCES spaces (id) ON DELETE CASCADE,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role text NOT NULL CHECK (role IN ('viewer', 'editor', 'admin')),
    created_at timestamptz NOT NULL,
    PRIMARY KEY (space_id, user_id)
  )`,
  `CREATE INDEX memberships_user_idx ON memberships (user_id)`,
  `CREATE TABLE teams (
    id uuid PRIMARY KEY,
    space_id uuid NOT NULL REFERENCES spaces (id) ON DELETE CASCADE,
    name text COLLATE "C" NOT NULL,
    created_at timestamptz NOT NULL
  )`,
  `CREATE UNIQUE INDEX teams_space_name_key ON teams (space_id, lower(name))`,
  `CREATE INDEX teams_space_order_idx ON teams (space_id, name, id)`,
  `CREATE TABLE connectors (
    id uuid PRIMARY KEY,
    space_id uuid NOT NULL REFERENCES spaces (id) ON DELETE CASCADE,
    name text COLLATE "C" NOT NULL,
    type text NOT NULL,
    config jsonb NOT NULL DEFAULT '{}',
    secrets text,
    cursor text,
    last_sync_at timestamptz,
    last_sync_status text CHECK (last_sync_status IN ('succeeded', 'failed')),
    last_error text,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    CONSTRAINT connectors_space_name_key UNIQUE (space_id, name)
  )`,
  `CREATE TABLE pipelines (
    id uuid PRIMARY KEY,
    space_id uuid NOT NULL REFERENCES spaces (id) ON DELETE CASCADE,
    connector_id uuid NOT NULL REFERENCES connectors (id) ON DELETE CASCADE,
    provider text NOT NULL,
    external_id text NOT NULL,
    name text COLLATE "C" NOT NULL,
    description text,
    owner text,
    tags text[] NOT NULL DEFAULT '{}',
    schedule text,
    paused boolean NOT NULL DEFAULT false,
    next_run_at timestamptz,
    team_id uuid REFERENCES teams (id) ON DELETE SET NULL,
    criticality text CHECK (criticality IN ('low', 'medium', 'high', 'critical')),
    last_run_status text,
    last_run_at timestamptz,
    removed_at timestamptz,
    seen_by_sync uuid,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    CONSTRAINT pipelines_connector_external_key UNIQUE (connector_id, external_id)
  )`,
  // The list is always one space, sorted by name then id: this index gives the page in order.
  `CREATE INDEX pipelines_space_order_idx ON pipelines (space_id, name, id)`,
  `CREATE INDEX pipelines_team_idx ON pipelines (team_id) WHERE team_id IS NOT NULL`,
  `CREATE TABLE watches (
    space_id uuid NOT NULL REFERENCES spaces (id) ON DELETE CASCADE,
    pipeline_id uuid NOT NULL REFERENCES pipelines (id) ON DELETE CASCADE,
    user_id uuid NOT NULL,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (pipeline_id, user_id)
  )`,
  `CREATE INDEX watches_user_idx ON watches (user_id, space_id)`,
  `CREATE TABLE runs (
    id uuid PRIMARY KEY,
    space_id uuid NOT NULL REFERENCES spaces (id) ON DELETE CASCADE,
    connector_id uuid NOT NULL,
    pipeline_id uuid NOT NULL REFERENCES pipelines (id) ON DELETE CASCADE,
    external_id text NOT NULL,
    status text NOT NULL CHECK (status IN ('queued', 'running', 'success', 'failed', 'canceled')),
    native_status text,
    run_type text NOT NULL,
    logical_date timestamptz,
    queued_at timestamptz,
    started_at timestamptz,
    finished_at timestamptz,
    duration_seconds double precision,
    conf jsonb,
    note text,
    triggered_by uuid,
    run_at timestamptz NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    CONSTRAINT runs_pipeline_external_key UNIQUE (pipeline_id, external_id)
  )`,
  // Serves the run list (newest first), the latest run, and the summary window of a pipeline. The
  // included columns let the summary read the index alone once the table is vacuumed.
  `CREATE INDEX runs_pipeline_run_at_idx ON runs (pipeline_id, run_at DESC, id DESC)
    INCLUDE (status, duration_seconds, finished_at)`,
  `CREATE TABLE task_runs (
    id uuid PRIMARY KEY,
    space_id uuid NOT NULL REFERENCES spaces (id) ON DELETE CASCADE,
    run_id uuid NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    external_id text NOT NULL,
    task_id text COLLATE "C" NOT NULL,
    map_index integer NOT NULL,
    status text NOT NULL,
    native_status text,
    try_number integer NOT NULL,
    started_at timestamptz,
    finished_at timestamptz,
    duration_seconds double precision,
    operator text,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    CONSTRAINT task_runs_run_task_key UNIQUE (run_id, task_id, map_index)
  )`,
  `CREATE TABLE comments (
    id uuid PRIMARY KEY,
    space_id uuid NOT NULL REFERENCES spaces (id) ON DELETE CASCADE,
    run_id uuid REFERENCES runs (id) ON DELETE CASCADE,
    task_run_id uuid REFERENCES task_runs (id) ON DELETE CASCADE,
    author_id uuid NOT NULL,
    body text NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    CONSTRAINT comments_one_target CHECK (num_nonnulls(run_id, task_run_id) = 1)
  )`,
  `CREATE INDEX comments_run_idx ON comments (run_id, created_at, id) WHERE run_id IS NOT NULL`,
  `CREATE INDEX comments_task_run_idx ON comments (task_run_id, created_at, id) WHERE task_run_id IS NOT NULL`,
  `CREATE TABLE syncs (
    id uuid PRIMARY KEY,
    space_id uuid NOT NULL REFERENCES spaces (id) ON DELETE CASCADE,
    connector_id uuid NOT NULL REFERENCES connectors (id) ON DELETE CASCADE,
    status text NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
    triggered_by uuid,
    started_at timestamptz NOT NULL,
    heartbeat_at timestamptz NOT NULL,
    finished_at timestamptz,
    pipelines integer NOT NULL DEFAULT 0,
    removed_pipelines integer NOT NULL DEFAULT 0,
    runs integer NOT NULL DEFAULT 0,
    task_runs integer NOT NULL DEFAULT 0,
    error text
  )`,
  // At most one running sync per connector, whichever process started it.
  `CREATE UNIQUE INDEX syncs_one_running_key ON syncs (connector_id) WHERE status = 'running'`,
  `CREATE INDEX syncs_connector_idx ON syncs (connector_id, started_at DESC, id DESC)`,
];

export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of UP) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['comments', 'task_runs', 'runs', 'watches', 'syncs', 'pipelines', 'connectors', 'teams', 'memberships', 'api_keys', 'users', 'spaces']) {
    await sql.raw(`DROP TABLE IF EXISTS ${table}`).execute(db);
  }
}
