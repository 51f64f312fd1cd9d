/**
 * The pipeline list's filters, kept in the page's address (so a filtered list can be shared and the
 * back button works) and turned into the API's query.
 */
export const STATUSES = ['active', 'paused', 'error'] as const;
export const CRITICALITIES = ['low', 'medium', 'high', 'critical'] as const;
export const ORIGINS = ['synced', 'managed'] as const;
export const DAYS = [1, 7, 14, 30, 90] as const;
export const PER_PAGE = 50;

export type Status = (typeof STATUSES)[number];
export type Criticality = (typeof CRITICALITIES)[number];
export type Origin = (typeof ORIGINS)[number];

export interface ListFilters {
  status: Status[];
  criticality: Criticality[];
  origin: Origin[];
  teamId: string;
  owner: string;
  q: string;
  watchedOnly: boolean;
  days: number;
  page: number;
}

const oneOf = <T extends string>(allowed: readonly T[], values: string[]): T[] =>
  values.flatMap((v) => v.split(',')).filter((v): v is T => (allowed as readonly string[]).includes(v));

const positive = (value: string | null, fallback: number) => {
  const n = Number(value);
  return Number.isInteger(n) && n >= 1 ? n : fallback;
};

/** Reads the filters from the address; anything unknown is ignored rather than sent. */
export function readFilters(params: URLSearchParams): ListFilters {
  return {
    status: oneOf(STATUSES, params.getAll('status')),
    criticality: oneOf(CRITICALITIES, params.getAll('criticality')),
    origin: oneOf(ORIGINS, params.getAll('origin')),
    teamId: params.get('team_id') ?? '',
    owner: params.get('owner') ?? '',
    q: params.get('q') ?? '',
    watchedOnly: params.get('watched_only') === 'true',
    days: positive(params.get('days'), 7),
    page: positive(params.get('page'), 1),
  };
}

/** The address of the filters: only what differs from the defaults. */
export function writeFilters(filters: ListFilters): URLSearchParams {
  const params = new URLSearchParams();
  for (const s of filters.status) params.append('status', s);
  for (const c of filters.criticality) params.append('criticality', c);
  for (const o of filters.origin) params.append('origin', o);
  if (filters.teamId) params.set('team_id', filters.teamId);
  if (filters.owner) params.set('owner', filters.owner);
  if (filters.q) params.set('q', filters.q);
  if (filters.watchedOnly) params.set('watched_only', 'true');
  if (filters.days !== 7) params.set('days', String(filters.days));
  if (filters.page !== 1) params.set('page', String(filters.page));
  return params;
}

/** The list's query for the API: absent filters are left out. */
export function listQuery(filters: ListFilters) {
  return {
    ...(filters.status.length ? { status: filters.status } : {}),
    ...(filters.criticality.length ? { criticality: filters.criticality } : {}),
    ...(filters.origin.length ? { origin: filters.origin } : {}),
    ...(filters.teamId ? { team_id: filters.teamId } : {}),
    ...(filters.owner.trim() ? { owner: filters.owner.trim() } : {}),
    ...(filters.q.trim() ? { q: filters.q.trim() } : {}),
    ...(filters.watchedOnly ? { watched_only: true } : {}),
    days: filters.days,
    page: filters.page,
    per_page: PER_PAGE,
  };
}
