import { groupOf, type PipelineProjection, type PipelineViewField, type PipelineViewGroup } from '@signalbox/core';
import { type RawBuilder, sql } from 'kysely';

/**
 * A pipeline projection (core's pipeline/projection.ts) as a PostgreSQL JSON expression over a
 * row `x` of the list query: the pipeline's columns, its current version's (`cv_*`), its summary
 * (`runs`, `succeeded`, `failed`, `avg_duration`, `p95_duration`, `last_failure_at`) and
 * `watched`. Each field is the SQL twin of its definition in PIPELINE_VIEW_FIELDS; the
 * repository contract checks the two render every view alike.
 */

/** An instant as `Date.toISOString` writes it (to_char truncates to milliseconds, as reading it into a Date does). */
const iso = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** `Pipeline.managed` is set exactly when this holds (see toPipeline). */
const MANAGED = `(x.origin = 'managed' AND x.current_version_id IS NOT NULL AND x.current_version_number IS NOT NULL)`;

/** Where the bound `days` goes: a NUL, which no key or column name holds. */
const DAYS = '\u0000days\u0000';

/** A field of the current version: null without one, as `Pipeline.managed` is. */
const ofManaged = (e: string) => `CASE WHEN ${MANAGED} THEN ${e} END`;

const FIELDS: Record<PipelineViewField, string> = {
  id: 'x.id',
  origin: 'x.origin',
  connectorId: 'x.connector_id',
  provider: 'x.provider',
  engine: ofManaged(`coalesce(x.engine, 'embedded')`),
  externalId: 'x.external_id',
  name: 'x.name',
  description: 'x.description',
  owner: 'x.owner',
  tags: 'to_json(x.tags)',
  schedule: 'x.schedule',
  paused: 'x.paused',
  nextRunAt: iso('x.next_run_at'),
  // pipelineStatus
  status: `CASE WHEN x.paused THEN 'paused' WHEN x.last_run_status = 'failed' THEN 'error' ELSE 'active' END`,
  teamId: 'x.team_id',
  criticality: 'x.criticality',
  lastRunStatus: 'x.last_run_status',
  lastRunAt: iso('x.last_run_at'),
  removedAt: iso('x.removed_at'),
  createdAt: iso('x.created_at'),
  updatedAt: iso('x.updated_at'),
  watched: 'x.watched',
  'summary.days': DAYS,
  'summary.runs': 'coalesce(x.runs, 0)',
  'summary.succeeded': 'coalesce(x.succeeded, 0)',
  'summary.failed': 'coalesce(x.failed, 0)',
  // successRate
  'summary.successRate': `CASE WHEN coalesce(x.succeeded, 0) + coalesce(x.failed, 0) > 0 THEN x.succeeded::float8 / (x.succeeded + x.failed) END`,
  'summary.avgDurationSeconds': 'x.avg_duration::float8',
  'summary.p95DurationSeconds': 'x.p95_duration::float8',
  'summary.lastFailureAt': iso('x.last_failure_at'),
  'currentVersion.id': ofManaged('x.current_version_id'),
  'currentVersion.number': ofManaged('x.current_version_number'),
  'currentVersion.version': ofManaged('x.cv_version'),
  'currentVersion.specHash': ofManaged(`coalesce(x.cv_spec_hash, '')`),
  'currentVersion.createdAt': ofManaged(iso('coalesce(x.cv_created_at, x.updated_at)')),
  'currentVersion.createdBy': ofManaged('x.cv_created_by'),
  'currentVersion.message': ofManaged('x.cv_message'),
};

/** When a nested object of the group is present (else the object is null), as PIPELINE_VIEW_GROUPS says. */
const GROUPS: Record<PipelineViewGroup, string> = { summary: 'true', currentVersion: MANAGED };

/** json_build_object takes at most 100 arguments: 50 key/value pairs. */
const MAX_PAIRS = 50;

function objectOf(projection: PipelineProjection): string {
  const pairs = Object.entries(projection).map(([key, field]) => {
    const value = typeof field === 'string' ? FIELDS[field] : `CASE WHEN ${GROUPS[groupOf(field)]} THEN ${objectOf(field)} END`;
    if (value === undefined) throw new Error(`no SQL for the pipeline field '${String(field)}'`);
    return `${sqlString(key)}, ${value}`;
  });
  if (pairs.length > MAX_PAIRS) throw new Error(`a projection holds at most ${MAX_PAIRS} keys at each level`);
  return `json_build_object(${pairs.join(', ')})`;
}

/** A key as a SQL string literal: the projection's keys are the API's own names, quoted all the same. */
const sqlString = (s: string) => {
  if (s.includes('\u0000')) throw new Error('a projection key cannot hold a NUL');
  return `'${s.replaceAll("'", "''")}'`;
};

const compiled = new WeakMap<PipelineProjection, string>();

/** The JSON object of the projection for the row `x`; `days` is bound, never spliced. A key holding a NUL is refused. */
export function pipelineJson(projection: PipelineProjection, days: number): RawBuilder<unknown> {
  let text = compiled.get(projection);
  if (text === undefined) {
    text = objectOf(projection);
    compiled.set(projection, text);
  }
  const [before, ...after] = text.split(DAYS);
  return sql.join([sql.raw(before), ...after.map((part) => sql`${days}::int${sql.raw(part)}`)], sql``);
}
