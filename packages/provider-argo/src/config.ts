import { type Connector, type ConnectorConfig, invalid } from '@signalbox/core';

/**
 * The image a step's container runs when the config names none: Signalbox's step command, built
 * from `deploy/step-runner/Dockerfile`. It runs the step's statement through the same SQL and
 * ledger as the embedded engine, so a step means the same thing on both engines. Any image that
 * honours the same contract (the environment in, the outcome file out; see step-wire.ts in the
 * core) may be named instead.
 */
export const DEFAULT_IMAGE = 'signalbox/step-runner:0.1.0';

/** A checked Argo connector config. */
export interface ArgoConfig {
  /** The Argo Server root, without a trailing slash or a pasted /api/v1. */
  baseUrl: string;
  /** The namespace of the workflows, templates and cron workflows. */
  namespace: string;
  /** A bearer token (a ServiceAccount token), sent as `Authorization: Bearer <token>`. */
  token: string;
  /** The image of a managed step's container. */
  image: string;
  /** The ServiceAccount managed workflows run as; absent: the namespace's default. */
  serviceAccount?: string;
  /** The Kubernetes Secret (and its key) that holds the warehouse URL for managed steps. */
  warehouseSecret: { name: string; key: string };
}

const KNOWN = new Set(['base_url', 'namespace', 'token', 'image', 'service_account', 'warehouse_secret']);
// What the API shows of a config in place of its secrets; a client may send it back unchanged.
const SHOWN_ONLY = new Set(['token_set']);

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const SECRET_KEY = /^[-._a-zA-Z0-9]+$/;
// An image reference: no spaces, no control characters, no leading dash.
const IMAGE = /^[a-zA-Z0-9][^\s]*$/;

const isDnsLabel = (s: string) => s.length <= 63 && DNS_LABEL.test(s);
const isDnsSubdomain = (s: string) => s.length <= 253 && DNS_SUBDOMAIN.test(s);

const optionalString = (config: ConnectorConfig, key: string): string | undefined => {
  const v = config[key];
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') throw invalid(`config.${key}`, 'must be a string');
  return v.trim();
};

/**
 * Checks a connector config of type `argo` and returns it normalized: base_url trimmed of slashes
 * and of a pasted /api/v1, the image defaulted, `token_set` dropped. Throws `invalid` naming the
 * field as `config.<key>`.
 */
export function checkArgoConfig(config: ConnectorConfig): ConnectorConfig {
  if (!config || typeof config !== 'object' || Array.isArray(config)) throw invalid('config', 'must be an object');
  for (const key of Object.keys(config)) {
    if (!KNOWN.has(key) && !SHOWN_ONLY.has(key)) throw invalid(`config.${key}`, 'is not a setting of an argo connector');
  }

  const raw = config.base_url;
  if (typeof raw !== 'string' || raw.trim() === '') throw invalid('config.base_url', 'is required: the Argo Server URL, e.g. https://argo.example.com:2746');
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw invalid('config.base_url', 'must be an absolute http or https URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw invalid('config.base_url', 'must be an http or https URL');
  if (url.search || url.hash) throw invalid('config.base_url', 'must not have a query or a fragment');
  if (url.username || url.password) throw invalid('config.base_url', 'must not hold credentials: use token');
  let path = url.pathname.replace(/\/+$/, '');
  if (/\/api\/v1$/.test(path)) path = path.slice(0, -'/api/v1'.length);
  const baseUrl = `${url.protocol}//${url.host}${path}`;

  const namespace = optionalString(config, 'namespace');
  if (namespace === undefined) throw invalid('config.namespace', 'is required: the Kubernetes namespace of the workflows');
  if (!isDnsLabel(namespace)) throw invalid('config.namespace', 'must be a DNS-1123 label: lower-case letters, digits and dashes, at most 63');

  const token = optionalString(config, 'token');
  if (token === undefined) throw invalid('config.token', 'is required: a bearer token the Argo Server accepts (e.g. a ServiceAccount token)');
  // `argo auth token` prints the whole header value; keep the token alone.
  const bare = token.replace(/^Bearer\s+/i, '');
  if (bare === '' || /\s/.test(bare)) throw invalid('config.token', 'must be a single token without spaces');

  const image = optionalString(config, 'image') ?? DEFAULT_IMAGE;
  if (!IMAGE.test(image) || image.length > 512)
    throw invalid('config.image', 'must be a container image reference, e.g. registry.example.com/signalbox/step-runner:0.1.0');

  const serviceAccount = optionalString(config, 'service_account');
  if (serviceAccount !== undefined && !isDnsSubdomain(serviceAccount))
    throw invalid('config.service_account', 'must be a ServiceAccount name (a DNS-1123 subdomain)');

  const ws = config.warehouse_secret;
  if (ws === undefined || ws === null)
    throw invalid('config.warehouse_secret', 'is required: {name, key} of the Kubernetes Secret that holds the warehouse URL');
  if (typeof ws !== 'object' || Array.isArray(ws)) throw invalid('config.warehouse_secret', 'must be an object {name, key}');
  const wsc = ws as Record<string, unknown>;
  for (const k of Object.keys(wsc)) if (k !== 'name' && k !== 'key') throw invalid(`config.warehouse_secret.${k}`, 'is not a field of warehouse_secret');
  const name = typeof wsc.name === 'string' ? wsc.name.trim() : wsc.name;
  const key = typeof wsc.key === 'string' ? wsc.key.trim() : wsc.key;
  if (typeof name !== 'string' || name === '') throw invalid('config.warehouse_secret.name', 'is required: the name of a Kubernetes Secret');
  if (!isDnsSubdomain(name)) throw invalid('config.warehouse_secret.name', 'must be a Secret name (a DNS-1123 subdomain)');
  if (typeof key !== 'string' || key === '') throw invalid('config.warehouse_secret.key', 'is required: a key of the Secret');
  if (key.length > 253 || !SECRET_KEY.test(key)) throw invalid('config.warehouse_secret.key', 'must be a Secret key: letters, digits, -, _ and .');

  const out: ConnectorConfig = { base_url: baseUrl, namespace, token: bare, image };
  if (serviceAccount !== undefined) out.service_account = serviceAccount;
  out.warehouse_secret = { name, key };
  return out;
}

/** The typed view of a config that `checkArgoConfig` accepts. */
export function readArgoConfig(config: ConnectorConfig): ArgoConfig {
  const c = checkArgoConfig(config);
  const ws = c.warehouse_secret as { name: string; key: string };
  return {
    baseUrl: c.base_url as string,
    namespace: c.namespace as string,
    token: c.token as string,
    image: c.image as string,
    ...(c.service_account !== undefined ? { serviceAccount: c.service_account as string } : {}),
    warehouseSecret: { name: ws.name, key: ws.key },
  };
}

/** The typed config of an `argo` connector (its config holds the token in clear). */
export const argoConfigOf = (connector: Connector): ArgoConfig => readArgoConfig(connector.config);
