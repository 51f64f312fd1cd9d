import { type ConnectorConfig, invalid } from '@signalbox/core';

export type ApiVersion = 'v1' | 'v2';

/** A checked Airflow connector config. */
export interface AirflowConfig {
  /** The Airflow web server root, without /api/v1 or /api/v2 and without a trailing slash. */
  baseUrl: string;
  /** Absent: detect (ask /api/v2/version, then /api/v1/version). */
  apiVersion?: ApiVersion;
  username?: string;
  password?: string;
  token?: string;
}

const KNOWN = new Set(['base_url', 'api_version', 'username', 'password', 'token']);
// What the API shows of a config in place of its secrets; a client may send it back unchanged.
const SHOWN_ONLY = new Set(['password_set', 'token_set']);

const optionalString = (config: ConnectorConfig, key: string): string | undefined => {
  const v = config[key];
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') throw invalid(`config.${key}`, 'must be a string');
  return v;
};

/**
 * Checks a connector config of type `airflow` and returns it normalized: base_url trimmed of
 * slashes and of a pasted /api/v1 or /api/v2 (which then sets api_version), empty secrets removed.
 * Throws `invalid` naming the field as `config.<key>`.
 */
export function checkAirflowConfig(config: ConnectorConfig): ConnectorConfig {
  if (!config || typeof config !== 'object' || Array.isArray(config)) throw invalid('config', 'must be an object');
  for (const key of Object.keys(config)) {
    if (!KNOWN.has(key) && !SHOWN_ONLY.has(key)) throw invalid(`config.${key}`, 'is not a setting of an airflow connector');
  }
  const raw = config.base_url;
  if (typeof raw !== 'string' || raw.trim() === '')
    throw invalid('config.base_url', 'is required: the Airflow web server URL, e.g. https://airflow.example.com');
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw invalid('config.base_url', 'must be an absolute http or https URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw invalid('config.base_url', 'must be an http or https URL');
  if (url.search || url.hash) throw invalid('config.base_url', 'must not have a query or a fragment');
  if (url.username || url.password) throw invalid('config.base_url', 'must not hold credentials: use username and password');

  let path = url.pathname.replace(/\/+$/, '');
  let pasted: ApiVersion | undefined;
  const m = /\/api\/(v1|v2)$/.exec(path);
  if (m) {
    pasted = m[1] as ApiVersion;
    path = path.slice(0, -m[0].length);
  }
  const baseUrl = `${url.protocol}//${url.host}${path}`;

  const apiVersion = optionalString(config, 'api_version');
  if (apiVersion !== undefined && apiVersion !== 'v1' && apiVersion !== 'v2')
    throw invalid('config.api_version', "must be 'v1' (Airflow 2) or 'v2' (Airflow 3)");
  if (apiVersion && pasted && apiVersion !== pasted) throw invalid('config.api_version', `contradicts base_url, which ends in /api/${pasted}`);

  const username = optionalString(config, 'username');
  const password = optionalString(config, 'password');
  const token = optionalString(config, 'token');
  if (username !== undefined && password === undefined) throw invalid('config.password', 'is required with username');
  if (password !== undefined && username === undefined) throw invalid('config.username', 'is required with password');

  const out: ConnectorConfig = { base_url: baseUrl };
  const version = apiVersion ?? pasted;
  if (version) out.api_version = version;
  if (username !== undefined) out.username = username;
  if (password !== undefined) out.password = password;
  if (token !== undefined) out.token = token;
  return out;
}

/** The typed view of a config that `checkAirflowConfig` accepted. */
export function readAirflowConfig(config: ConnectorConfig): AirflowConfig {
  const c = checkAirflowConfig(config);
  return {
    baseUrl: c.base_url as string,
    ...(c.api_version ? { apiVersion: c.api_version as ApiVersion } : {}),
    ...(c.username !== undefined ? { username: c.username as string } : {}),
    ...(c.password !== undefined ? { password: c.password as string } : {}),
    ...(c.token !== undefined ? { token: c.token as string } : {}),
  };
}
