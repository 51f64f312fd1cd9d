import type { Id } from '../common';
import { invalid } from '../errors';

export const CONNECTOR_TYPES = ['airflow', 'mock'] as const;
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
  createdAt: Date;
  updatedAt: Date;
}

/** A connector as created: its settings, and no sync yet. */
export const newConnector = (fields: Pick<Connector, 'id' | 'spaceId' | 'name' | 'type' | 'config'>, at: Date): Connector => ({
  ...fields,
  cursor: null,
  lastSyncAt: null,
  lastSyncStatus: null,
  lastError: null,
  createdAt: at,
  updatedAt: at,
});

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
