import type { Id } from '../common';
import { invalid } from '../errors';

/** `warehouse` holds data for the embedded engine (a PostgreSQL database); the others are orchestrators to sync. */
export const CONNECTOR_TYPES = ['airflow', 'argo', 'mock', 'warehouse'] as const;
export type ConnectorType = (typeof CONNECTOR_TYPES)[number];

/**
 * Connector settings. Secret keys (`password`, `token`) are write-only: stored encrypted by the
 * persistence adapter and never returned by the API.
 */
export type ConnectorConfig = Record<string, unknown>;

export const SECRET_KEYS = ['password', 'token'] as const;

export interface Connector {
  id: Id;
  spaceId: Id;
  name: string;
  type: ConnectorType;
  config: ConnectorConfig;
  /** Incremental sync position: the newest provider `updated_at` seen (ISO 8601), null before the first sync. */
  cursor: string | null;
  lastSyncAt: Date | null;
  lastSyncStatus: 'succeeded' | 'failed' | null;
  lastError: string | null;
  /** Scheduled syncs: every this many seconds; null syncs only when asked. */
  syncIntervalSeconds: number | null;
  /** When the scheduler starts the next sync; null when there is no interval. */
  nextSyncAt: Date | null;
  /** Syncs failed in a row since the last success: the scheduler backs off by them. */
  syncFailures: number;
  createdAt: Date;
  updatedAt: Date;
}

export const MIN_SYNC_INTERVAL_SECONDS = 10;
export const MAX_SYNC_INTERVAL_SECONDS = 31 * 24 * 3600;
/** Backing off never waits longer than this between syncs (unless the interval itself is longer). */
export const MAX_SYNC_BACKOFF_SECONDS = 3600;

/** The interval a connector of each type gets when none is given: orchestrators are polled, the mock is not. */
export const DEFAULT_SYNC_INTERVAL_SECONDS: Record<ConnectorType, number | null> = { airflow: 300, argo: 300, mock: null, warehouse: null };

/**
 * A connector as created: its settings, and no sync yet. The interval defaults by type; with one,
 * the first sync is due at once.
 */
export const newConnector = (
  fields: Pick<Connector, 'id' | 'spaceId' | 'name' | 'type' | 'config'> & { syncIntervalSeconds?: number | null },
  at: Date,
): Connector => {
  const syncIntervalSeconds = fields.syncIntervalSeconds === undefined ? DEFAULT_SYNC_INTERVAL_SECONDS[fields.type] : fields.syncIntervalSeconds;
  return {
    ...fields,
    cursor: null,
    lastSyncAt: null,
    lastSyncStatus: null,
    lastError: null,
    syncIntervalSeconds,
    nextSyncAt: syncIntervalSeconds === null ? null : at,
    syncFailures: 0,
    createdAt: at,
    updatedAt: at,
  };
};

/** Types that hold data rather than pipelines: nothing to sync, so no sync interval. */
const NOTHING_TO_SYNC: readonly ConnectorType[] = ['warehouse'];

export function checkSyncInterval(value: number | null, type?: ConnectorType): number | null {
  if (value === null) return null;
  if (type !== undefined && NOTHING_TO_SYNC.includes(type)) throw invalid('sync_interval_seconds', `must be null: a ${type} connector has nothing to sync`);
  if (!Number.isInteger(value) || value < MIN_SYNC_INTERVAL_SECONDS || value > MAX_SYNC_INTERVAL_SECONDS) {
    throw invalid('sync_interval_seconds', `must be null or an integer from ${MIN_SYNC_INTERVAL_SECONDS} to ${MAX_SYNC_INTERVAL_SECONDS}`);
  }
  return value;
}

/**
 * Seconds from a sync's end to the next scheduled one: the interval, doubled for each sync failed
 * in a row, at most an hour (or the interval, when that is longer).
 */
export function syncDelaySeconds(intervalSeconds: number, failures: number): number {
  if (failures <= 0) return intervalSeconds;
  const cap = Math.max(MAX_SYNC_BACKOFF_SECONDS, intervalSeconds);
  return Math.min(cap, intervalSeconds * 2 ** Math.min(failures, 30));
}

/** When the next scheduled sync is due after `at`, given the failures in a row; null without an interval. */
export function nextSyncAt(intervalSeconds: number | null, failures: number, at: Date): Date | null {
  return intervalSeconds === null ? null : new Date(at.getTime() + syncDelaySeconds(intervalSeconds, failures) * 1000);
}

export function checkConnectorType(type: string): ConnectorType {
  if (!(CONNECTOR_TYPES as readonly string[]).includes(type)) {
    throw invalid('type', `must be one of ${CONNECTOR_TYPES.join(', ')}`);
  }
  return type as ConnectorType;
}

/** The config without its secrets, and which secrets are set: what the API may show. */
export function publicConfig(config: ConnectorConfig): ConnectorConfig {
  const out: ConnectorConfig = {};
  for (const [k, v] of Object.entries(config)) {
    if ((SECRET_KEYS as readonly string[]).includes(k)) out[`${k}_set`] = v !== undefined && v !== null && v !== '';
    else out[k] = v;
  }
  return out;
}
