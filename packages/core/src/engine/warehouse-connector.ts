import type { ConnectorConfig } from '../connector/connector';
import { conflict, invalid } from '../errors';
import type { ProviderFactory } from '../ports/provider';

const CONFIG_KEYS = ['url', 'password'];

/**
 * A `warehouse` connector's config: `url` (a PostgreSQL URL), its password write-only. A password
 * written in the URL is moved out of it into `password`, so it is stored encrypted with the other
 * secrets and never shown (the URL is). Throws invalid naming `config.<key>`.
 */
export function checkWarehouseConfig(config: ConnectorConfig): ConnectorConfig {
  for (const key of Object.keys(config)) {
    if (!CONFIG_KEYS.includes(key)) throw invalid(`config.${key}`, `is not a setting of a warehouse connector (${CONFIG_KEYS.join(', ')})`);
  }
  if (typeof config.url !== 'string' || config.url.trim() === '')
    throw invalid('config.url', 'is required: a PostgreSQL URL, postgres://user@host:5432/database');
  let url: URL;
  try {
    url = new URL(config.url.trim());
  } catch {
    throw invalid('config.url', 'is not a URL: write postgres://user@host:5432/database');
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') throw invalid('config.url', 'must start with postgres:// or postgresql://');
  if (url.hostname === '') throw invalid('config.url', 'has no host');
  if (url.pathname.replace(/^\//, '') === '') throw invalid('config.url', 'names no database: add /<database> after the host');
  if (config.password !== undefined && config.password !== null && typeof config.password !== 'string') throw invalid('config.password', 'must be a string');
  let password = typeof config.password === 'string' ? config.password : undefined;
  if (url.password !== '') {
    password = decodeURIComponent(url.password);
    url.password = '';
  }
  return { url: url.toString(), ...(password === undefined ? {} : { password }) };
}

/**
 * The `warehouse` connector type among the registry's: its config checked, and nothing to sync, so
 * asking it for a provider (a sync, a check) is a conflict.
 */
export const warehouseConnectors: ProviderFactory = {
  checkConfig: checkWarehouseConfig,
  create(connector) {
    throw conflict('CONNECTOR_NOT_SYNCABLE', `connector '${connector.name}' is a warehouse: it holds data for managed pipelines and has nothing to sync`);
  },
};
