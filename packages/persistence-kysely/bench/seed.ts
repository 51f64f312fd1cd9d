import { randomIds } from '@signalbox/core';
import { type Kysely, sql } from 'kysely';
import { SEARCH_TEXT } from '../src/kysely-pipeline-repository';
import type { Schema } from '../src/schema';

/** Runs are spread over the last 30 days; the list summarises the last 7. */
const WINDOW_DAYS = 30;

export interface Seeded {
  spaceId: string;
  viewerId: string;
  airflowConnectorId: string;
  busyPipelineId: string;
  teamId: string;
}

const _log = (msg: string) => process.stdout.write(`${msg}\n`);

/** Seeds one space with set-based SQL: `pipelines` pipelines and about `runs` runs. */
export async function seedSpace(db: Kysely<Schema>, slug: string, pipelines: number, runs: number, viewerId: string): Promise<Seeded> {
  const spaceId = randomIds.id();
  const connectors = [randomIds.id(), randomIds.id()];
  const teams = Array.from({ length: 10 }, () => randomIds.id());
  await sql`INSERT INTO spaces (id, slug, name, created_at) VALUES (${spaceId}::uuid, ${slug}, ${slug}, now())`.execute(db);
  await sql`INSERT INTO memberships (space_id, user_id, role, created_at) VALUES (${spaceId}::uuid, ${viewerId}::uuid, 'viewer', now())`.execute(db);
  await sql`
    INSERT INTO connectors (id, space_id, name, type, config, created_at, updated_at)
    VALUES (${connectors[0]}::uuid, ${spaceId}::uuid, 'airflow-prod', 'airflow', '{}', now(), now()),
           (${connectors[1]}::uuid, ${spaceId}::uuid, 'mock', 'mock', '{}', now(), now())`.execute(db);
  await sql`
    INSERT INTO teams (id, space_id, name, created_at)
    SELECT t.id, ${spaceId}::uuid, 'team ' || t.n, now()
    FROM unnest(${`{${teams.join(',')}}`}::uuid[]) WITH ORDINALITY AS t(id, n)`.execute(db);
  // Names from a hash, so that name order is not insertion order.
  await sql`
    INSERT INTO pipelines (id, space_id, connector_id, provider, external_id, name, description, owner, tags, schedule,
                           paused, team_id, criticality, created_at, updated_at)
    SELECT gen_random_uuid(), ${spaceId}::uuid,
           CASE WHEN g % 2 = 0 THEN ${connectors[0]}::uuid ELSE ${connectors[1]}::uuid END,
           CASE WHEN g % 2 = 0 THEN 'airflow' ELSE 'mock' END,
           'dag_' || g,
           'pipeline ' || substr(md5(g::text), 1, 10),
           'Loads table ' || substr(md5((g * 7)::text), 1, 12) || ' into the warehouse',
           (ARRAY['data-eng', 'analytics', 'finance', 'ml-platform'])[1 + g % 4],
           ARRAY['domain-' || (g % 25), 'tier-' || (g % 3)],
           '@hourly',
           g % 20 = 0,
           (${`{${teams.join(',')}}`}::uuid[])[1 + g % 10],
           (ARRAY['low', 'medium', 'high', 'critical', NULL])[1 + g % 5],
           now(), now()
    FROM generate_series(1, ${pipelines}::int) AS g`.execute(db);
  await sql`UPDATE pipelines p SET search_text = ${sql.raw(SEARCH_TEXT('p'))} WHERE p.space_id = ${spaceId}::uuid`.execute(db);
  const perPipeline = Math.max(1, Math.round(runs / pipelines));
  // Runs spread evenly over the window; 10% failed, a few running; durations 1 to 61 minutes.
  await sql`
    INSERT INTO runs (id, space_id, connector_id, pipeline_id, external_id, status, native_status, run_type, started_at,
                      finished_at, duration_seconds, run_at, created_at, updated_at)
    SELECT gen_random_uuid(), p.space_id, p.connector_id, p.id, 'scheduled__' || r, x.status, x.status, 'scheduled',
           x.started_at, CASE WHEN x.status = 'running' THEN NULL ELSE x.started_at + make_interval(secs => x.duration) END,
           CASE WHEN x.status = 'running' THEN NULL ELSE x.duration END, x.started_at, now(), now()
    FROM pipelines p
    CROSS JOIN generate_series(1, ${perPipeline}::int) AS r
    CROSS JOIN LATERAL (
      SELECT CASE WHEN r = 1 AND random() < 0.05 THEN 'running' WHEN random() < 0.1 THEN 'failed' ELSE 'success' END AS status,
             now() - make_interval(secs => (r - 1 + random()) * ${(WINDOW_DAYS * 86400) / perPipeline}::float8) AS started_at,
             60 + random() * 3600 AS duration
    ) x
    WHERE p.space_id = ${spaceId}::uuid`.execute(db);
  await sql`
    UPDATE pipelines p SET last_run_status = l.status, last_run_at = l.run_at
    FROM (SELECT DISTINCT ON (pipeline_id) pipeline_id, status, run_at FROM runs WHERE space_id = ${spaceId}::uuid
          ORDER BY pipeline_id, run_at DESC, id DESC) l
    WHERE p.id = l.pipeline_id`.execute(db);
  // The viewer watches every 50th pipeline.
  await sql`
    INSERT INTO watches (space_id, pipeline_id, user_id, created_at)
    SELECT space_id, id, ${viewerId}::uuid, now() FROM pipelines
    WHERE space_id = ${spaceId}::uuid AND external_id ~ '^dag_[0-9]*0$' AND (substr(external_id, 5)::int % 50) = 0`.execute(db);
  const busy = await sql<{ id: string }>`SELECT id FROM pipelines WHERE space_id = ${spaceId}::uuid AND external_id = 'dag_2'`.execute(db);
  return { spaceId, viewerId, airflowConnectorId: connectors[0], busyPipelineId: busy.rows[0].id, teamId: teams[3] };
}
