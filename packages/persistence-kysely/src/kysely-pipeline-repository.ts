import {
  type Connector,
  type Criticality,
  DURATION_STATUSES,
  type Id,
  type IdGenerator,
  type Paged,
  type Pipeline,
  type PipelineFilter,
  type PipelineListQuery,
  type PipelineOrigin,
  type PipelineProjection,
  type PipelineProvider,
  type PipelineRepository,
  type PipelineView,
  type ProviderPipeline,
  project,
  type RenderedPage,
  type Run,
  type RunStatus,
  readsGroup,
  SUMMARY_PERCENTILE,
  splitRendering,
  summaryOf,
} from '@signalbox/core';
import { type Kysely, type Selectable, type SelectQueryBuilder, sql } from 'kysely';
import type { PipelinesTable, Schema } from './schema';
import { isUuid, latestByKey, likeLiteral, limitOffset, mustDate, referencing, toCount, toDate, uniquely } from './sql-support';

type P = SelectQueryBuilder<Schema & { p: PipelinesTable }, 'p', object>;

/** The current version's columns, joined to a managed pipeline's row (null for a synced one). */
interface CurrentVersionRow {
  cv_version: string | null;
  cv_spec_hash: string | null;
  cv_created_at: Date | string | null;
  cv_created_by: string | null;
  cv_message: string | null;
}

/** Selects CurrentVersionRow from `pipeline_versions` joined on the pipeline `p`'s current version. */
const CURRENT_VERSION = [
  sql<string | null>`cv.version`.as('cv_version'),
  sql<string | null>`cv.spec_hash`.as('cv_spec_hash'),
  sql<Date | null>`cv.created_at`.as('cv_created_at'),
  sql<string | null>`cv.created_by`.as('cv_created_by'),
  sql<string | null>`cv.message`.as('cv_message'),
];

export const toPipeline = (r: Selectable<PipelinesTable> & Partial<CurrentVersionRow>): Pipeline => ({
  id: r.id,
  spaceId: r.space_id,
  origin: r.origin as PipelineOrigin,
  connectorId: r.connector_id,
  provider: r.provider as PipelineProvider,
  managed:
    r.origin === 'managed' && r.current_version_id !== null && r.current_version_number !== null
      ? {
          engine: r.engine ?? 'embedded',
          warehouse: r.warehouse,
          maxActiveRuns: r.max_active_runs ?? 1,
          timeoutSeconds: r.timeout_seconds,
          currentVersion: {
            id: r.current_version_id,
            number: r.current_version_number,
            version: r.cv_version ?? null,
            specHash: r.cv_spec_hash ?? '',
            createdAt: mustDate(r.cv_created_at ?? r.updated_at),
            createdBy: r.cv_created_by ?? null,
            message: r.cv_message ?? null,
          },
        }
      : null,
  externalId: r.external_id,
  name: r.name,
  description: r.description,
  owner: r.owner,
  tags: r.tags,
  schedule: r.schedule,
  paused: r.paused,
  nextRunAt: toDate(r.next_run_at),
  teamId: r.team_id,
  criticality: r.criticality as Criticality | null,
  lastRunStatus: r.last_run_status as RunStatus | null,
  lastRunAt: toDate(r.last_run_at),
  removedAt: toDate(r.removed_at),
  createdAt: mustDate(r.created_at),
  updatedAt: mustDate(r.updated_at),
});

/** What a list's total depends on: the space and the filter (and the viewer, for watched only). */
const totalKey = (spaceId: Id, q: PipelineListQuery) => JSON.stringify([spaceId, q.filter, q.filter.watchedOnly ? q.viewerId : null]);

/**
 * The version of a pipeline's row: it changes with every write of the row. What a view reads of
 * the current version changes with it too: the row names its current version, and a version is
 * never written again once stored.
 */
const ROW_VERSION = sql<string>`p.xmin::text`.as('row_version');

/** A row of the rendered list's page: a pipeline's id and row version, its summary and `watched`. */
interface PageRow extends SummaryRow {
  id: Id;
  row_version: string;
  total: unknown;
  version: string | number | null;
}

/** What row parts are rendered with: they read none of it. */
const NO_SUMMARY = summaryOf({ runs: 0, succeeded: 0, failed: 0, avgDurationSeconds: null, p95DurationSeconds: null, lastFailureAt: null }, 0);

/** The summary columns the list query adds to each pipeline row. */
interface SummaryRow {
  runs: number | null;
  succeeded: number | null;
  failed: number | null;
  avg_duration: number | null;
  p95_duration: number | null;
  last_failure_at: Date | string | null;
  watched: boolean;
}

// The core's summary rules (pipeline/summary.ts), in SQL; the pipeline contract checks the two agree.
const FINISHED = sql`(${sql.join(DURATION_STATUSES.map((x) => sql.lit(x)))})`;
const PERCENTILE = sql.lit(SUMMARY_PERCENTILE / 100);
/** Pages up to this one have their limit and offset written into the list's statement (see page). */
const WRITTEN_PAGES = 10;

/**
 * A page's limit and offset for the list's statement: written into it for the first pages (only
 * non-negative integers are), bound beyond, so that the texts a connection prepares stay few.
 */
function written(limit: number, offset: number) {
  for (const n of [limit, offset]) if (!Number.isSafeInteger(n) || n < 0) throw new Error(`a page's limit and offset are non-negative integers, got ${n}`);
  return offset < WRITTEN_PAGES * limit ? { limit: sql.lit(limit), offset: sql.lit(offset) } : { limit, offset };
}

/** A pipeline's summary totals over the runs `r` of its window (the core's summary.ts, in SQL). */
const SUMMARY_COLUMNS = [
  sql<number>`count(*)::int`.as('runs'),
  sql<number>`(count(*) FILTER (WHERE r.status = 'success'))::int`.as('succeeded'),
  sql<number>`(count(*) FILTER (WHERE r.status = 'failed'))::int`.as('failed'),
  sql<number | null>`avg(r.duration_seconds) FILTER (WHERE r.status IN ${FINISHED})`.as('avg_duration'),
  sql<number | null>`percentile_cont(${PERCENTILE}) WITHIN GROUP (ORDER BY r.duration_seconds) FILTER (WHERE r.status IN ${FINISHED})`.as('p95_duration'),
  sql<Date | null>`max(coalesce(r.finished_at, r.run_at)) FILTER (WHERE r.status = 'failed')`.as('last_failure_at'),
];

/** The version of a space that has none (absent): its lists are empty. */
const NO_VERSION = '0';

/** Separates the fields in search_text (see the migration that adds it). */
const SEPARATOR = '\u001f';

/**
 * search_text of the pipeline row `row`: the lower-cased fields `q` looks at, U+001F (chr(31))
 * between them, so that a match never spans two fields. Written by the sync upsert. Lower-cased
 * under the database's default collation, as `q` is (the name's "C" collation folds ASCII only).
 */
export const SEARCH_TEXT = (row: string) =>
  `lower((${row}.name || chr(31) || ${row}.external_id || chr(31) || coalesce(${row}.description, '') || chr(31) || ` +
  `coalesce(${row}.owner, '') || chr(31) || array_to_string(${row}.tags, chr(31))) COLLATE "default")`;

/** How many (space, filter) totals a repository keeps for `listRendered`. */
const KEPT_TOTALS = 256;
/** How many rendered rows a repository keeps for `listRendered` (about a kilobyte each with every field). */
const KEPT_ROWS = 10_000;
/** How many distinct projections a repository keeps row parts for (sparse fieldsets make more). */
const KEPT_PROJECTIONS = 1_024;
/** How many pipeline summaries a repository keeps for `listRendered` (a few numbers each). */
const KEPT_SUMMARIES = 20_000;

export class KyselyPipelineRepository implements PipelineRepository {
  /**
   * The totals of recent lists, each with the data version it was counted at: while the space's
   * version stays the same, so does every total of its lists (the version is raised by every
   * write to what a filter looks at: pipelines and watches). Kept by the repository on the
   * database itself only: inside a transaction the version is raised at commit, after the writes
   * the transaction already sees.
   */
  private readonly totals = new Map<string, { version: string; total: number }>();
  /** The row parts of rendered list items (see listRendered), by projection, pipeline and row version; least recently used first. */
  private readonly rendered = new Map<string, string[]>();
  /** Summary totals by space version, pipeline and window start (see summaries); least recently used first. */
  private readonly keptSummaries = new Map<string, SummaryRow>();
  private readonly projectionIds = new WeakMap<PipelineProjection, number>();
  private readonly projectionNumbers = new Map<string, number>();

  constructor(
    private readonly db: Kysely<Schema>,
    private readonly ids: IdGenerator,
  ) {}

  async get(spaceId: Id, id: Id) {
    if (!isUuid(spaceId) || !isUuid(id)) return undefined;
    const row = await this.withCurrentVersion(spaceId).where('p.id', '=', id).executeTakeFirst();
    return row && toPipeline(row);
  }

  /** The space's pipeline rows, each with its current version's columns (CurrentVersionRow). */
  private withCurrentVersion(spaceId: Id) {
    return this.db
      .selectFrom('pipelines as p')
      .leftJoin('pipeline_versions as cv', (j) => j.onRef('cv.space_id', '=', 'p.space_id').onRef('cv.id', '=', 'p.current_version_id'))
      .selectAll('p')
      .select(CURRENT_VERSION)
      .where('p.space_id', '=', spaceId);
  }

  async getManagedByName(spaceId: Id, name: string) {
    if (!isUuid(spaceId)) return undefined;
    const row = await this.withCurrentVersion(spaceId).where('p.origin', '=', 'managed').where('p.name', '=', name).executeTakeFirst();
    return row && toPipeline(row);
  }

  async view(spaceId: Id, id: Id, viewerId: Id, since: Date, days: number) {
    if (!isUuid(spaceId) || !isUuid(id)) return undefined;
    const rows = await this.withSummaries(
      this.db.selectFrom('pipelines as p').where('p.space_id', '=', spaceId).where('p.id', '=', id).selectAll('p'),
      viewerId,
      since,
    ).execute();
    return rows[0] && toView(rows[0], days);
  }

  async list(spaceId: Id, q: PipelineListQuery): Promise<Paged<PipelineView>> {
    if (!isUuid(spaceId)) return { items: [], total: 0 };
    const rows = await this.page(spaceId, q).execute();
    if (rows.length > 0) return { total: toCount(rows[0].total), items: rows.map((r) => toView(r, q.days)) };
    return { total: await this.count(spaceId, q), items: [] };
  }

  /**
   * The page of `list` as one JSON text, which the caller sends as it is. The first statement
   * reads the page's rows, each with its version (`xmin`) and `watched`, the total and the space's
   * data version. The part of an item read from the pipeline's row is rendered once for each
   * version of the row and kept (`rowParts`); summaries are kept for each data version and window
   * (`summaries`); only what is not kept yet is read, in one more statement each. If a pipeline of
   * the page is gone by then (deleted in between), the page is read again whole and rendered from
   * full rows (`renderedWhole`), from one snapshot. Inside a transaction nothing is kept: there
   * the summaries come with the page, in its statement.
   */
  async listRendered(spaceId: Id, q: PipelineListQuery, projection: PipelineProjection): Promise<RenderedPage> {
    if (!isUuid(spaceId)) return { json: '[]', total: 0, version: NO_VERSION };
    // Inside a transaction the version is raised only at commit: nothing is kept or reused there.
    const keeps = !this.db.isTransaction;
    const key = !keeps || q.filter.q ? undefined : totalKey(spaceId, q);
    const known = key === undefined ? undefined : this.totals.get(key);
    const summaries = readsGroup(projection, 'summary');
    // The version in the same statement, so of the same snapshot as the page and its total: one
    // row holding it (and no pipeline) for an empty page.
    const { rows: read } = await sql<PageRow & { id: Id | null }>`
      SELECT x.id, x.row_version, x.runs, x.succeeded, x.failed,
             x.avg_duration, x.p95_duration, x.last_failure_at, x.watched, x.total, v.version
      FROM (SELECT (${this.versionOf(spaceId)}) AS version) AS v
      LEFT JOIN LATERAL (${this.page(spaceId, q, summaries && !keeps, known)}) AS x ON true
      ORDER BY x.name, x.id`.execute(this.db);
    const version = String(read[0]?.version ?? NO_VERSION);
    const rows = read.filter((r): r is PageRow => r.id !== null);
    // Past the end, the total is counted after: the answer is then never older than its tag.
    if (rows.length === 0) return { json: '[]', total: await this.count(spaceId, q), version };
    const total = toCount(rows[0].total);
    if (key !== undefined) this.keep(this.totals, key, { version, total }, KEPT_TOTALS);
    const split = splitRendering(projection);
    const parts = await this.rowParts(spaceId, projection, rows, !keeps);
    if (parts === undefined) return this.renderedWhole(spaceId, q, projection);
    const kept = summaries && keeps ? await this.summaries(spaceId, version, q, rows) : undefined;
    if (summaries && keeps && kept === undefined) return this.renderedWhole(spaceId, q, projection);
    const items = rows.map((r) => split.join(parts.get(r.id) as string[], { summary: summaryFrom(kept?.get(r.id) ?? r, q.days), watched: Boolean(r.watched) }));
    return { json: `[${items.join(',')}]`, total, version };
  }

  /**
   * The summary totals of the page's pipelines over the window from `q.since`, kept for each
   * (space version, pipeline, window start): while the version stands no run of the space has
   * changed, and the window start is the same for a whole minute (summaryWindowStart), so a
   * kept summary is exact. Those not kept are computed in one statement, which reads the version
   * too and keeps them under it (newer than the page's, if a write came in between). Undefined
   * if a pipeline of the page is gone by then.
   */
  private async summaries(spaceId: Id, version: string, q: PipelineListQuery, page: PageRow[]): Promise<Map<Id, SummaryRow> | undefined> {
    const at = q.since.getTime();
    const found = new Map<Id, SummaryRow>();
    const missing = this.takeKept(this.keptSummaries, KEPT_SUMMARIES, page, (r) => `${version}/${r.id}/${at}`, found);
    if (missing.length === 0) return found;
    const rows = await this.db
      .selectFrom('pipelines as p')
      .innerJoinLateral(
        (eb) => eb.selectFrom('runs as r').whereRef('r.pipeline_id', '=', 'p.id').where('r.run_at', '>=', q.since).select(SUMMARY_COLUMNS).as('s'),
        (join) => join.onTrue(),
      )
      .select(['p.id', 's.runs', 's.succeeded', 's.failed', 's.avg_duration', 's.p95_duration', 's.last_failure_at'])
      .select(() => this.versionOf(spaceId).as('version'))
      .where('p.space_id', '=', spaceId)
      .where('p.id', 'in', missing)
      .execute();
    if (rows.length < missing.length) return undefined;
    for (const { id, version: seen, ...totals } of rows) {
      const row = { ...totals, watched: false };
      this.keep(this.keptSummaries, `${seen ?? NO_VERSION}/${id}/${at}`, row, KEPT_SUMMARIES);
      found.set(id, row);
    }
    return found;
  }

  /** The row parts of each row of the page, from those kept or read now; undefined if a row is gone. */
  private async rowParts(spaceId: Id, projection: PipelineProjection, page: PageRow[], inTransaction: boolean): Promise<Map<Id, string[]> | undefined> {
    const split = splitRendering(projection);
    const projectionId = this.projectionId(projection);
    // Inside a transaction every row it writes has the same xmin, however often it writes it.
    const keeps = !inTransaction && projectionId !== undefined;
    const of = (id: Id, rowVersion: string) => `${projectionId}/${id}/${rowVersion}`;
    const parts = new Map<Id, string[]>();
    if (!split.row) {
      for (const r of page) parts.set(r.id, []);
      return parts;
    }
    const missing = keeps ? this.takeKept(this.rendered, KEPT_ROWS, page, (r) => of(r.id, r.row_version), parts) : page.map((r) => r.id);
    if (missing.length === 0) return parts;
    const rows = await this.withCurrentVersion(spaceId).select(ROW_VERSION).where('p.id', 'in', missing).execute();
    if (rows.length < missing.length) return undefined;
    for (const r of rows) {
      // Rendered from the row as it is now, kept under this version of it.
      const rendered = split.rowParts({ pipeline: toPipeline(r), summary: NO_SUMMARY, watched: false });
      if (keeps) this.keep(this.rendered, of(r.id, r.row_version), rendered, KEPT_ROWS);
      parts.set(r.id, rendered);
    }
    return parts;
  }

  /** The page rendered whole from full rows, the version read first so that the answer is never older than its tag. */
  private async renderedWhole(spaceId: Id, q: PipelineListQuery, projection: PipelineProjection): Promise<RenderedPage> {
    const version = await this.dataVersion(spaceId);
    const page = await this.list(spaceId, q);
    return { json: JSON.stringify(page.items.map((v) => project(projection, v))), total: page.total, version };
  }

  /** A projection's number among the kept row parts, the same for equal projections (by their text). */
  private projectionId(projection: PipelineProjection): number | undefined {
    let id = this.projectionIds.get(projection);
    if (id === undefined) {
      const text = JSON.stringify(projection);
      id = this.projectionNumbers.get(text);
      // Past so many projections, a new one's parts are rendered but not kept.
      if (id === undefined && this.projectionNumbers.size >= KEPT_PROJECTIONS) return undefined;
      id ??= this.projectionNumbers.size;
      this.projectionNumbers.set(text, id);
      this.projectionIds.set(projection, id);
    }
    return id;
  }

  /** Puts into `found` what `map` keeps for each row of the page (as most recently used); returns the ids of the others. */
  private takeKept<V>(map: Map<string, V>, max: number, page: PageRow[], keyOf: (r: PageRow) => string, found: Map<Id, V>): Id[] {
    const missing: Id[] = [];
    for (const r of page) {
      const key = keyOf(r);
      const kept = map.get(key);
      if (kept === undefined) missing.push(r.id);
      else {
        this.keep(map, key, kept, max);
        found.set(r.id, kept);
      }
    }
    return missing;
  }

  /** Keeps `value` as the most recently used entry of `map`, dropping the least recently used past `max`. */
  private keep<V>(map: Map<string, V>, key: string, value: V, max: number) {
    map.delete(key);
    map.set(key, value);
    if (map.size > max) map.delete(map.keys().next().value as string);
  }

  /** Raised by triggers on every write to the space's pipelines, runs, versions and watches (space_list_state). */
  async dataVersion(spaceId: Id) {
    if (!isUuid(spaceId)) return NO_VERSION;
    const row = await this.versionOf(spaceId).executeTakeFirst();
    return String(row?.version ?? NO_VERSION);
  }

  private versionOf(spaceId: Id) {
    return this.db.selectFrom('space_list_state as v').select(sql<string>`v.version::text`.as('version')).where('v.space_id', '=', spaceId);
  }

  /**
   * One statement for the page: the filtered pipelines, sorted by name then id and cut to the page
   * (the partial index on live pipelines (space_id, name, id) delivers them in order), then for
   * those rows only, a lateral aggregate over each one's runs in the window (the index on runs
   * (pipeline_id, run_at) finds them) and the viewer's watch.
   * The total: without `q`, an uncorrelated sub-query computed once (an index-only count). With
   * `q`, every row of the space must be tested anyway, so a window count in the same scan gives
   * the total rather than a second scan. Past the end, no row carries the total: `count`.
   *
   * Without `q`, the page's limit and offset are written into the statement, as is the
   * `summaries` switch (withSummaries): its plan then no longer depends on its parameters, and
   * PostgreSQL keeps one generic plan for the prepared statement rather than planning it again
   * on every call (0.4 ms of planning against 0.37 ms of running, for the list at 10,000
   * pipelines). Only for the first pages, which are most of the reads: each page written in
   * makes a statement text of its own, and a connection prepares at most 200 texts (prepared.ts);
   * deeper pages bind theirs and are planned on each call.
   */
  private page(spaceId: Id, q: PipelineListQuery, summaries = true, known?: { version: string; total: number }) {
    const filtered = () => this.filtered(spaceId, q.filter, q.viewerId);
    const { limit, offset } = limitOffset(q.page);
    const cut = written(limit, offset);
    return q.filter.q
      ? this.withSummaries(
          filtered()
            .selectAll('p')
            .select(ROW_VERSION)
            .select(sql<string>`count(*) OVER ()`.as('total'))
            .orderBy('p.name')
            .orderBy('p.id')
            .limit(limit)
            .offset(offset),
          q.viewerId,
          q.since,
          summaries,
        )
      : this.withSummaries(
          filtered().selectAll('p').select(ROW_VERSION).orderBy('p.name').orderBy('p.id').limit(cut.limit).offset(cut.offset),
          q.viewerId,
          q.since,
          summaries,
        ).select(
          // A total counted at the version the statement reads is that total still: the count
          // (an uncorrelated sub-query, run only if its branch is taken) is skipped.
          known
            ? sql<number>`CASE WHEN (${this.versionOf(spaceId)}) = ${known.version} THEN ${known.total}::bigint ELSE (${this.total(spaceId, q)}) END`.as(
                'total',
              )
            : () => this.total(spaceId, q).as('total'),
        );
  }

  /** The number of pipelines the filter keeps, as a sub-query. */
  private total(spaceId: Id, q: PipelineListQuery) {
    return this.filtered(spaceId, q.filter, q.viewerId).select((eb) => eb.fn.countAll<number>().as('n'));
  }

  private async count(spaceId: Id, q: PipelineListQuery): Promise<number> {
    const row = await this.db.selectNoFrom(this.total(spaceId, q).as('n')).executeTakeFirstOrThrow();
    return toCount(row.n);
  }

  private filtered(spaceId: Id, f: PipelineFilter, viewerId: Id): P {
    let qb: P = this.db.selectFrom('pipelines as p').where('p.space_id', '=', spaceId);
    if (!f.includeRemoved) qb = qb.where('p.removed_at', 'is', null);
    if (f.provider?.length) qb = qb.where('p.provider', 'in', f.provider);
    if (f.origin?.length) qb = qb.where('p.origin', 'in', f.origin);
    const statuses = f.status;
    if (statuses?.length) {
      qb = qb.where((eb) =>
        eb.or(
          statuses.map((status) =>
            // Constants written into the statement, so that its plans can use the index of failing
            // pipelines (migration 2026-11-28T10-30-00), whose predicate they must imply.
            status === 'paused'
              ? eb('p.paused', '=', sql.lit(true))
              : status === 'error'
                ? eb.and([eb('p.paused', '=', sql.lit(false)), eb('p.last_run_status', '=', sql.lit('failed'))])
                : eb.and([eb('p.paused', '=', sql.lit(false)), eb.or([eb('p.last_run_status', 'is', null), eb('p.last_run_status', '<>', sql.lit('failed'))])]),
          ),
        ),
      );
    }
    if (f.owner) qb = qb.where('p.owner', '=', f.owner);
    if (f.criticality?.length) qb = qb.where('p.criticality', 'in', f.criticality);
    if (f.teamId) qb = isUuid(f.teamId) ? qb.where('p.team_id', '=', f.teamId) : qb.where(sql<boolean>`false`);
    if (f.connectorId) qb = isUuid(f.connectorId) ? qb.where('p.connector_id', '=', f.connectorId) : qb.where(sql<boolean>`false`);
    if (f.watchedOnly) {
      qb = isUuid(viewerId)
        ? qb.where(({ exists, selectFrom }) =>
            exists(
              selectFrom('watches as w')
                .select('w.user_id')
                .whereRef('w.space_id', '=', 'p.space_id')
                .whereRef('w.pipeline_id', '=', 'p.id')
                .where('w.user_id', '=', viewerId),
            ),
          )
        : qb.where(sql<boolean>`false`);
    }
    if (f.q) {
      // Literal text: the wildcards in q are escaped, and backslash is LIKE's escape character.
      const pattern = likeLiteral(f.q);
      qb = f.q.includes(SEPARATOR)
        ? // Only a q holding the separator could match across fields of search_text: test each field.
          qb.where((eb) =>
            eb.or([
              eb('p.name', 'ilike', pattern),
              eb('p.external_id', 'ilike', pattern),
              eb('p.description', 'ilike', pattern),
              eb('p.owner', 'ilike', pattern),
              sql<boolean>`EXISTS (SELECT 1 FROM unnest(p.tags) AS t(tag) WHERE t.tag ILIKE ${pattern})`,
            ]),
          )
        : qb.where(sql<boolean>`p.search_text LIKE lower(${pattern} COLLATE "default")`);
    }
    return qb;
  }

  /**
   * Wraps a query of pipeline rows (a page) and adds each one's summary and the viewer's watch.
   * The runs lateral is scoped by space through `p`, which the page query has already filtered by
   * space: a run always carries its pipeline's space (both writes take it from the pipeline row,
   * and a pipeline never changes space), so `r.pipeline_id = p.id` selects runs of p's space only.
   * Repeating `r.space_id = p.space_id` there would add nothing but a heap fetch per run: the
   * index on runs (pipeline_id, run_at DESC, id DESC) INCLUDE (status, duration_seconds,
   * finished_at) answers the aggregate by an index-only scan, and space_id is not in it.
   */
  private withSummaries<O extends Selectable<PipelinesTable>>(
    rowsQuery: SelectQueryBuilder<Schema & { p: PipelinesTable }, 'p', O>,
    viewerId: Id,
    since: Date,
    summaries = true,
  ) {
    return this.db
      .with('page', () => rowsQuery)
      .selectFrom('page as p')
      .leftJoinLateral(
        (eb) =>
          eb
            .selectFrom('runs as r')
            // A page whose reader reads no summary (a sparse fieldset) reads no run. Written into
            // the statement, not bound (see page).
            .where(sql<boolean>`${sql.lit(summaries)}`)
            .whereRef('r.pipeline_id', '=', 'p.id')
            .where('r.run_at', '>=', since)
            .select(SUMMARY_COLUMNS)
            .as('s'),
        (join) => join.onTrue(),
      )
      .leftJoin('pipeline_versions as cv', (j) => j.onRef('cv.space_id', '=', 'p.space_id').onRef('cv.id', '=', 'p.current_version_id'))
      .selectAll('p')
      .select(CURRENT_VERSION)
      .select(['s.runs', 's.succeeded', 's.failed', 's.avg_duration', 's.p95_duration', 's.last_failure_at'])
      .select(
        (isUuid(viewerId)
          ? sql<boolean>`EXISTS (SELECT 1 FROM watches w WHERE w.space_id = p.space_id AND w.pipeline_id = p.id AND w.user_id = ${viewerId}::uuid)`
          : sql<boolean>`false`
        ).as('watched'),
      )
      .orderBy('p.name')
      .orderBy('p.id');
  }

  /**
   * One INSERT … ON CONFLICT for the batch, keyed by (connector_id, external_id), one row per key (a
   * later entry wins). Rows go in in key order, so two concurrent syncs lock rows in the same order
   * and cannot deadlock each other.
   */
  async upsertFromProvider(connector: Connector, pipelines: ProviderPipeline[], syncId: Id, at: Date) {
    const batch = latestByKey(pipelines, (pp) => pp.externalId);
    if (batch.length === 0) return;
    const rows = batch.map((pp) => ({
      id: this.ids.id(),
      external_id: pp.externalId,
      name: pp.name,
      description: pp.description,
      owner: pp.owner,
      tags: pp.tags,
      schedule: pp.schedule,
      paused: pp.paused,
      next_run_at: pp.nextRunAt,
    }));
    await sql`
      INSERT INTO pipelines (id, space_id, connector_id, provider, external_id, name, description, owner, tags, schedule,
                             paused, next_run_at, seen_by_sync, created_at, updated_at, search_text)
      SELECT x.id, ${connector.spaceId}::uuid, ${connector.id}::uuid, ${connector.type}, x.external_id, x.name, x.description,
             x.owner, x.tags, x.schedule, x.paused, x.next_run_at, ${syncId}::uuid, ${at}::timestamptz, ${at}::timestamptz,
             ${sql.raw(SEARCH_TEXT('x'))}
      FROM (SELECT y.id, y.external_id, y.name, y.description, y.owner, coalesce(y.tags, '{}') AS tags, y.schedule, y.paused,
                   y.next_run_at
            FROM json_to_recordset(${JSON.stringify(rows)}::json) AS y(id uuid, external_id text, name text, description text,
                   owner text, tags text[], schedule text, paused boolean, next_run_at timestamptz)) x
      ORDER BY x.external_id
      ON CONFLICT (connector_id, external_id) DO UPDATE SET
        name = excluded.name, description = excluded.description, owner = excluded.owner, tags = excluded.tags,
        schedule = excluded.schedule, paused = excluded.paused, next_run_at = excluded.next_run_at,
        search_text = excluded.search_text, removed_at = NULL, seen_by_sync = excluded.seen_by_sync,
        updated_at = excluded.updated_at`.execute(this.db);
  }

  /** Synced pipelines only: a managed pipeline whose engine is the connector is never listed by its sync. */
  async markRemoved(spaceId: Id, connectorId: Id, syncId: Id, at: Date) {
    if (!isUuid(spaceId) || !isUuid(connectorId)) return 0;
    const r = await this.db
      .updateTable('pipelines')
      .set({ removed_at: at })
      .where('space_id', '=', spaceId)
      .where('connector_id', '=', connectorId)
      .where('origin', '=', 'synced')
      .where('removed_at', 'is', null)
      .where(sql<boolean>`seen_by_sync IS DISTINCT FROM ${isUuid(syncId) ? syncId : null}::uuid`)
      .executeTakeFirst();
    return Number(r.numUpdatedRows);
  }

  /**
   * Per pipeline the newest run of the batch wins (a later entry wins a tie, as applying them in
   * order would), and replaces the stored one when at least as recent.
   */
  async noteLastRuns(spaceId: Id, connectorId: Id, runs: { pipelineExternalId: string; status: Run['status']; runAt: Date }[]) {
    if (runs.length === 0 || !isUuid(spaceId) || !isUuid(connectorId)) return;
    const rows = runs.map((r, ord) => ({ ext: r.pipelineExternalId, status: r.status, run_at: r.runAt, ord }));
    await sql`
      UPDATE pipelines p SET last_run_status = n.status, last_run_at = n.run_at
      FROM (
        SELECT DISTINCT ON (x.ext) x.ext, x.status, x.run_at
        FROM json_to_recordset(${JSON.stringify(rows)}::json) AS x(ext text, status text, run_at timestamptz, ord integer)
        ORDER BY x.ext, x.run_at DESC, x.ord DESC
      ) n
      WHERE p.space_id = ${spaceId}::uuid AND p.connector_id = ${connectorId}::uuid AND p.external_id = n.ext
        AND (p.last_run_at IS NULL OR p.last_run_at <= n.run_at)`.execute(this.db);
  }

  async noteLastRun(spaceId: Id, id: Id, run: { status: RunStatus; runAt: Date }) {
    if (!isUuid(spaceId) || !isUuid(id)) return;
    await this.db
      .updateTable('pipelines')
      .set({ last_run_status: run.status, last_run_at: run.runAt })
      .where('space_id', '=', spaceId)
      .where('id', '=', id)
      .where((eb) => eb.or([eb('last_run_at', 'is', null), eb('last_run_at', '<=', run.runAt)]))
      .execute();
  }

  async incrementalState(spaceId: Id, id: Id) {
    if (!isUuid(spaceId) || !isUuid(id)) return {};
    const row = await this.db.selectFrom('pipelines').select('incremental_state').where('space_id', '=', spaceId).where('id', '=', id).executeTakeFirst();
    return row?.incremental_state ?? {};
  }

  /** jsonb `||` merges at the top level: the given steps' cursors replace theirs, the others stay. */
  async saveIncrementalState(spaceId: Id, id: Id, cursors: Record<string, string>) {
    if (!isUuid(spaceId) || !isUuid(id)) return;
    await this.db
      .updateTable('pipelines')
      .set({ incremental_state: sql`incremental_state || ${JSON.stringify(cursors)}::jsonb` })
      .where('space_id', '=', spaceId)
      .where('id', '=', id)
      .execute();
  }

  async setTeam(spaceId: Id, id: Id, teamId: Id | null, at: Date) {
    if (!isUuid(spaceId) || !isUuid(id)) return false;
    // The use case checked that the team is in the space; one deleted since then breaks the foreign key.
    const r = await referencing(
      () => this.db.updateTable('pipelines').set({ team_id: teamId, updated_at: at }).where('space_id', '=', spaceId).where('id', '=', id).executeTakeFirst(),
      'team_id',
      'TEAM_NOT_FOUND',
      `no team '${teamId}' in this space`,
    );
    return Number(r.numUpdatedRows) > 0;
  }

  async createManaged(p: Pipeline) {
    const m = mustManage(p);
    await uniquely(
      () =>
        this.db
          .insertInto('pipelines')
          .values({
            id: p.id,
            space_id: p.spaceId,
            origin: 'managed',
            connector_id: p.connectorId,
            provider: p.provider,
            external_id: p.externalId,
            name: p.name,
            description: p.description,
            owner: p.owner,
            tags: tagsOf(p.tags),
            schedule: p.schedule,
            paused: p.paused,
            next_run_at: p.nextRunAt,
            team_id: p.teamId,
            criticality: p.criticality,
            search_text: searchTextOf(p),
            ...managedColumns(m),
            created_at: p.createdAt,
            updated_at: p.updatedAt,
          })
          .execute(),
      'PIPELINE_EXISTS',
      `a managed pipeline named '${p.externalId}' exists in this space`,
    );
  }

  async updateManaged(p: Pipeline, expectedNumber: number) {
    const m = mustManage(p);
    if (!isUuid(p.spaceId) || !isUuid(p.id)) return false;
    const r = await uniquely(
      () =>
        this.db
          .updateTable('pipelines')
          .set({
            external_id: p.externalId,
            name: p.name,
            description: p.description,
            owner: p.owner,
            tags: tagsOf(p.tags),
            schedule: p.schedule,
            next_run_at: p.nextRunAt,
            search_text: searchTextOf(p),
            ...managedColumns(m),
            updated_at: p.updatedAt,
          })
          .where('space_id', '=', p.spaceId)
          .where('id', '=', p.id)
          .where('origin', '=', 'managed')
          // The guard of concurrent updates: a second writer from the same number waits for the
          // first one's row lock, then finds the number moved and updates nothing.
          .where('current_version_number', '=', expectedNumber)
          .executeTakeFirst(),
      'PIPELINE_EXISTS',
      `a managed pipeline named '${p.externalId}' exists in this space`,
    );
    return Number(r.numUpdatedRows) > 0;
  }

  /** One statement: versions, watches, runs (and with them task runs and comments) go by their cascading keys. */
  async deleteManaged(spaceId: Id, id: Id) {
    if (!isUuid(spaceId) || !isUuid(id)) return false;
    const r = await this.db.deleteFrom('pipelines').where('space_id', '=', spaceId).where('id', '=', id).where('origin', '=', 'managed').executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  async setPaused(spaceId: Id, id: Id, paused: boolean, nextRunAt: Date | null, at: Date) {
    if (!isUuid(spaceId) || !isUuid(id)) return false;
    const r = await this.db
      .updateTable('pipelines')
      .set({ paused, next_run_at: nextRunAt, updated_at: at })
      .where('space_id', '=', spaceId)
      .where('id', '=', id)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async dueManaged(now: Date, limit: number) {
    const rows = await this.db
      .selectFrom('pipelines as p')
      .leftJoin('pipeline_versions as cv', (j) => j.onRef('cv.space_id', '=', 'p.space_id').onRef('cv.id', '=', 'p.current_version_id'))
      .selectAll('p')
      .select(CURRENT_VERSION)
      .where('p.origin', '=', 'managed')
      .where('p.paused', '=', false)
      .where('p.next_run_at', 'is not', null)
      .where('p.next_run_at', '<=', now)
      .orderBy('p.next_run_at')
      .orderBy('p.id')
      .limit(limit)
      .execute();
    return rows.map(toPipeline);
  }

  async advanceSchedule(spaceId: Id, id: Id, expected: Date, next: Date | null) {
    if (!isUuid(spaceId) || !isUuid(id)) return false;
    const r = await this.db
      .updateTable('pipelines')
      .set({ next_run_at: next })
      .where('space_id', '=', spaceId)
      .where('id', '=', id)
      .where('origin', '=', 'managed')
      .where('paused', '=', false)
      .where('next_run_at', '=', expected)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async setCriticality(spaceId: Id, id: Id, criticality: Pipeline['criticality'], at: Date) {
    if (!isUuid(spaceId) || !isUuid(id)) return false;
    const r = await this.db
      .updateTable('pipelines')
      .set({ criticality, updated_at: at })
      .where('space_id', '=', spaceId)
      .where('id', '=', id)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }
}

function mustManage(p: Pipeline) {
  if (p.origin !== 'managed' || !p.managed) throw new Error(`pipeline ${p.id} is not managed`);
  return p.managed;
}

const managedColumns = (m: NonNullable<Pipeline['managed']>) => ({
  engine: m.engine,
  warehouse: m.warehouse,
  max_active_runs: m.maxActiveRuns,
  timeout_seconds: m.timeoutSeconds,
  current_version_id: m.currentVersion.id,
  current_version_number: m.currentVersion.number,
});

/** A text[] parameter that both drivers pass the same way: through JSON. */
const tagsOf = (tags: string[]) => sql<string[]>`ARRAY(SELECT jsonb_array_elements_text(${JSON.stringify(tags)}::jsonb))`;

/** search_text (see SEARCH_TEXT) of a pipeline's fields, as parameters. */
const searchTextOf = (p: Pick<Pipeline, 'name' | 'externalId' | 'description' | 'owner' | 'tags'>) =>
  sql<string>`lower((${p.name}::text || chr(31) || ${p.externalId}::text || chr(31) || coalesce(${p.description}::text, '') || chr(31) ||
    coalesce(${p.owner}::text, '') || chr(31) || array_to_string(${tagsOf(p.tags)}, chr(31))) COLLATE "default")`;

function toView(r: Selectable<PipelinesTable> & SummaryRow & Partial<CurrentVersionRow>, days: number): PipelineView {
  return { pipeline: toPipeline(r), summary: summaryFrom(r, days), watched: Boolean(r.watched) };
}

function summaryFrom(r: SummaryRow, days: number) {
  return summaryOf(
    {
      runs: Number(r.runs ?? 0),
      succeeded: Number(r.succeeded ?? 0),
      failed: Number(r.failed ?? 0),
      avgDurationSeconds: r.avg_duration === null ? null : Number(r.avg_duration),
      p95DurationSeconds: r.p95_duration === null ? null : Number(r.p95_duration),
      lastFailureAt: toDate(r.last_failure_at),
    },
    days,
  );
}
