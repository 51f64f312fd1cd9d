/**
 * A pipeline view as JSON, in a shape its reader chooses. A `PipelineProjection` names, for each
 * key of the JSON object, the view field it holds, or a nested projection. The same projection is
 * rendered by `project` here and by a store that builds the JSON itself (SQL); the repository
 * contract checks that the two agree, so the wire form of a pipeline is written once (the API's
 * projection) whatever renders it.
 */
import { type PipelineView, pipelineStatus } from './pipeline';

/** A JSON value. */
export type Json = string | number | boolean | null | readonly Json[] | { readonly [key: string]: Json };

/** Instants in JSON: ISO 8601 in UTC with milliseconds, as `Date.toISOString` writes them. */
const iso = (d: Date | null | undefined): string | null => (d ? d.toISOString() : null);

const version = (v: PipelineView) => v.pipeline.managed?.currentVersion;

/** Every field a projection can name, and its JSON value for a view. */
export const PIPELINE_VIEW_FIELDS = {
  id: (v: PipelineView) => v.pipeline.id,
  origin: (v: PipelineView) => v.pipeline.origin,
  connectorId: (v: PipelineView) => v.pipeline.connectorId,
  provider: (v: PipelineView) => v.pipeline.provider,
  engine: (v: PipelineView) => v.pipeline.managed?.engine ?? null,
  externalId: (v: PipelineView) => v.pipeline.externalId,
  name: (v: PipelineView) => v.pipeline.name,
  description: (v: PipelineView) => v.pipeline.description,
  owner: (v: PipelineView) => v.pipeline.owner,
  tags: (v: PipelineView) => v.pipeline.tags,
  schedule: (v: PipelineView) => v.pipeline.schedule,
  paused: (v: PipelineView) => v.pipeline.paused,
  nextRunAt: (v: PipelineView) => iso(v.pipeline.nextRunAt),
  status: (v: PipelineView) => pipelineStatus(v.pipeline),
  teamId: (v: PipelineView) => v.pipeline.teamId,
  criticality: (v: PipelineView) => v.pipeline.criticality,
  lastRunStatus: (v: PipelineView) => v.pipeline.lastRunStatus,
  lastRunAt: (v: PipelineView) => iso(v.pipeline.lastRunAt),
  removedAt: (v: PipelineView) => iso(v.pipeline.removedAt),
  createdAt: (v: PipelineView) => iso(v.pipeline.createdAt),
  updatedAt: (v: PipelineView) => iso(v.pipeline.updatedAt),
  watched: (v: PipelineView) => v.watched,
  'summary.days': (v: PipelineView) => v.summary.days,
  'summary.runs': (v: PipelineView) => v.summary.runs,
  'summary.succeeded': (v: PipelineView) => v.summary.succeeded,
  'summary.failed': (v: PipelineView) => v.summary.failed,
  'summary.successRate': (v: PipelineView) => v.summary.successRate,
  'summary.avgDurationSeconds': (v: PipelineView) => v.summary.avgDurationSeconds,
  'summary.p95DurationSeconds': (v: PipelineView) => v.summary.p95DurationSeconds,
  'summary.lastFailureAt': (v: PipelineView) => iso(v.summary.lastFailureAt),
  'currentVersion.id': (v: PipelineView) => version(v)?.id ?? null,
  'currentVersion.number': (v: PipelineView) => version(v)?.number ?? null,
  'currentVersion.version': (v: PipelineView) => version(v)?.version ?? null,
  'currentVersion.specHash': (v: PipelineView) => version(v)?.specHash ?? null,
  'currentVersion.createdAt': (v: PipelineView) => iso(version(v)?.createdAt),
  'currentVersion.createdBy': (v: PipelineView) => version(v)?.createdBy ?? null,
  'currentVersion.message': (v: PipelineView) => version(v)?.message ?? null,
} satisfies Record<string, (v: PipelineView) => Json>;

export type PipelineViewField = keyof typeof PIPELINE_VIEW_FIELDS;

/**
 * The groups a nested projection can draw from, and whether a view has each: a nested object
 * whose fields are all of an absent group is null (a synced pipeline has no current version).
 */
export const PIPELINE_VIEW_GROUPS = {
  summary: (_: PipelineView) => true,
  currentVersion: (v: PipelineView) => version(v) !== undefined,
} as const;
export type PipelineViewGroup = keyof typeof PIPELINE_VIEW_GROUPS;

/** A JSON object over a view: each key holds a field, or a nested object of fields of one group. */
export interface PipelineProjection {
  readonly [key: string]: PipelineViewField | PipelineProjection;
}

/** The one group all the fields of a nested projection belong to; throws when they mix groups. */
export function groupOf(nested: PipelineProjection): PipelineViewGroup {
  const groups = new Set(
    Object.values(nested).map((f) => {
      if (typeof f !== 'string') throw new Error('a nested projection holds fields only');
      return f.split('.')[0];
    }),
  );
  const [group] = groups;
  if (groups.size !== 1 || !(group in PIPELINE_VIEW_GROUPS)) throw new Error(`a nested projection draws from one group, got ${[...groups].join(', ')}`);
  return group as PipelineViewGroup;
}

/** The view as the JSON object the projection describes, keys in the projection's order. */
export function project(projection: PipelineProjection, view: PipelineView): { [key: string]: Json } {
  const out: { [key: string]: Json } = {};
  for (const [key, field] of Object.entries(projection)) {
    if (typeof field === 'string') out[key] = PIPELINE_VIEW_FIELDS[field](view);
    else out[key] = PIPELINE_VIEW_GROUPS[groupOf(field)](view) ? project(field, view) : null;
  }
  return out;
}

/** A page of views as JSON text: what a store that renders it itself answers. */
export interface RenderedPage {
  /** A JSON array of the page's items, each as the projection describes it. */
  json: string;
  total: number;
  /** The space's data version the page was read at (see `PipelineRepository.dataVersion`). */
  version: string;
}

/** The view fields a projection reads, its nested objects' included. */
export function fieldsOf(projection: PipelineProjection): PipelineViewField[] {
  return Object.values(projection).flatMap((f) => (typeof f === 'string' ? [f] : fieldsOf(f)));
}

/** Whether a projection reads any field of the group: a store can skip computing a group nobody reads. */
export const readsGroup = (projection: PipelineProjection, group: PipelineViewGroup): boolean => fieldsOf(projection).some((f) => f.startsWith(`${group}.`));

/**
 * The projection cut to some of its top-level keys (a sparse fieldset), in the projection's own
 * order whatever the order asked. Throws on a key the projection does not have: the caller
 * validates names first.
 */
export function pick(projection: PipelineProjection, keys: readonly string[]): PipelineProjection {
  const wanted = new Set(keys);
  for (const k of wanted) if (!Object.hasOwn(projection, k)) throw new Error(`the projection has no key '${k}'`);
  return Object.fromEntries(Object.entries(projection).filter(([k]) => wanted.has(k)));
}

/**
 * Whether a field is read from the pipeline's own row (its current version included): its value
 * stays the same until that row is written. The others, the summary and `watched`, depend on the
 * pipeline's runs, the window and the reader.
 */
export const isRowField = (field: PipelineViewField): boolean => field !== 'watched' && !field.startsWith('summary.');

/** What a view holds besides its pipeline's row. */
export type LiveFields = Pick<PipelineView, 'summary' | 'watched'>;

/**
 * A projection rendered in two halves, so that a store can keep the half read from a pipeline's
 * row rendered for as long as the row stays the same, and render only the rest per request.
 * `join(rowParts(view), view)` is exactly `JSON.stringify(project(projection, view))`.
 */
export interface SplitRendering {
  /** Whether it reads any row field: if not, there are no row parts. */
  readonly row: boolean;
  /** The row entries as JSON object members (`"key":value,…`), one text for each run of consecutive row entries. */
  rowParts(view: PipelineView): string[];
  /** The JSON object: the row parts, and the other entries rendered from `live`, in the projection's order. */
  join(rowParts: readonly string[], live: LiveFields): string;
}

const splits = new WeakMap<PipelineProjection, SplitRendering>();

/** A field's or a nested projection's JSON text for a view, as `JSON.stringify(project(…))` writes it. */
function valueText(field: PipelineViewField | PipelineProjection): (view: PipelineView) => string {
  if (typeof field === 'string') {
    const get = PIPELINE_VIEW_FIELDS[field];
    return (view) => JSON.stringify(get(view));
  }
  const has = PIPELINE_VIEW_GROUPS[groupOf(field)];
  const members = Object.entries(field).map(([key, f]) => [`${JSON.stringify(key)}:`, valueText(f)] as const);
  return (view) => (has(view) ? `{${members.map(([key, text]) => key + text(view)).join(',')}}` : 'null');
}

/** The projection's split rendering (built once for each projection object). */
export function splitRendering(projection: PipelineProjection): SplitRendering {
  const known = splits.get(projection);
  if (known) return known;
  type Step = { row: PipelineProjection } | { key: string; field: PipelineViewField | PipelineProjection };
  const steps: Step[] = [];
  for (const [key, field] of Object.entries(projection)) {
    const row = typeof field === 'string' ? isRowField(field) : fieldsOf(field).every(isRowField);
    const last = steps.at(-1);
    if (!row) steps.push({ key, field });
    else if (last && 'row' in last) (last.row as Record<string, unknown>)[key] = field;
    else steps.push({ row: { [key]: field } });
  }
  const rows = steps.flatMap((s) => ('row' in s ? [s.row] : []));
  // Each live entry compiled once to a function of the view that writes `"key":value`.
  const live = steps.map((s) => ('row' in s ? undefined : `${JSON.stringify(s.key)}:`));
  const render = steps.map((s) => ('row' in s ? undefined : valueText(s.field)));
  const split: SplitRendering = {
    row: rows.length > 0,
    rowParts: (view) => rows.map((p) => JSON.stringify(project(p, view)).slice(1, -1)),
    join: (parts, fields) => {
      // Only the live entries read `fields`, and they read nothing but its summary and `watched`.
      const view = fields as PipelineView;
      let text = '{';
      let next = 0;
      for (let i = 0; i < steps.length; i++) {
        if (i > 0) text += ',';
        const r = render[i];
        text += r === undefined ? parts[next++] : live[i] + r(view);
      }
      return `${text}}`;
    },
  };
  splits.set(projection, split);
  return split;
}
