import { dirname, join, resolve } from 'node:path';

export type LogLevel = 'error' | 'warn' | 'info' | 'http' | 'verbose' | 'debug' | 'silly';

/** Everything the process reads from its environment, checked and with defaults applied. */
export interface Config {
  port: number;
  host: string;
  /** `postgres://…`: run on PostgreSQL. Absent: embedded PGlite in `<dataDir>/pglite`. */
  databaseUrl: string | null;
  databasePoolSize: number;
  /** PostgreSQL schema for every table (created if missing); null: the connection's default (public). */
  databaseSchema: string | null;
  /** Absolute path of the data folder (embedded database, generated secret key, demo key). */
  dataDir: string;
  /** Tests only: embedded PGlite in memory instead of in the data folder. */
  inMemoryDatabase?: boolean;
  /** Encrypts connector secrets. Null: generated and kept in the data folder (embedded database only). */
  secretKey: string | null;
  adminApiKey: string | null;
  logLevel: LogLevel;
  demo: boolean;
  bodyLimit: string;
  syncWaitMs: number;
  syncLookbackDays: number;
  airflowTimeoutMs: number;
  /** Per request to an Argo Server (syncs, and the engine's submissions and looks). */
  argoTimeoutMs: number;
  /** How often a managed run on a cluster engine (Argo) is looked at while it runs (not an environment variable: tests shorten it). */
  clusterFollowMs: number;
  shutdownTimeoutMs: number;
  /** On shutdown: how long background work may finish before it is aborted and released. */
  shutdownGraceMs: number;
  /** The lease of a running sync and of a claimed job: a holder silent this long is taken over. */
  leaseMs: number;
  /** Jobs one process runs at once. */
  workerConcurrency: number;
  /** How often the worker looks for due work (not an environment variable: tests shorten it). */
  workerPollMs: number;
  /** Requests per second per API key, per client address, and failed authentications per minute per address; 0 is no limit. */
  rateLimits: { perKeyPerSecond: number; perAddressPerSecond: number; failedAuthPerMinute: number };
  /** Largest request line plus headers Node accepts; larger is 431 HEADERS_TOO_LARGE. */
  maxHeaderBytes: number;
  /** Express's `trust proxy` (hops, addresses or `true`), so that the client address behind a proxy is the one limited; null trusts none. */
  trustProxy: string | number | boolean | null;
  /** An open warehouse (the embedded one's thread, a connector's pool) unused this long is closed. */
  warehouseIdleMs: number;
  /**
   * Whether managed pipelines may run on the space's embedded PGlite warehouse. By default only on
   * the embedded database: with DATABASE_URL, processes share the work and a PGlite folder belongs
   * to one of them, so a pipeline must name a `warehouse` connector (1 allows it for one process).
   */
  embeddedWarehouse: boolean;
  /**
   * On PostgreSQL, whether the API's process answers 304s from the spaces it keeps, told of changes
   * by `LISTEN` (ADR 0024). Off behind a pooler that keeps no session (PgBouncer in transaction
   * mode), where a `LISTEN` is not heard.
   */
  keepSpaces: boolean;
  /** When set, `GET /metrics` answers only `Authorization: Bearer <token>`; null: open. */
  metricsToken: string | null;
  /** Absolute path of the console's build (index.html and assets/), served at /ui. */
  consoleDir: string;
}

/**
 * The console's build in this workspace: `dist` of the `@signalbox/console` package, or where it
 * sits beside this app when the package cannot be resolved (a copy without the workspace's links).
 */
export const DEFAULT_CONSOLE_DIR = (() => {
  try {
    return join(dirname(require.resolve('@signalbox/console/package.json')), 'dist');
  } catch {
    return resolve(__dirname, '..', '..', 'console', 'dist');
  }
})();

/** A configuration refused at start, with one message per wrong variable. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const LOG_LEVELS: LogLevel[] = ['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly'];
const TRUE = ['1', 'true', 'yes', 'on'];
const FALSE = ['0', 'false', 'no', 'off'];

/** Every variable with its default, as `.env.example` lists them. */
export const ENV_DEFAULTS = {
  PORT: '3000',
  HOST: '127.0.0.1',
  DATABASE_URL: '',
  DATABASE_POOL_SIZE: '10',
  DATABASE_SCHEMA: '',
  SIGNALBOX_DATA_DIR: './.data',
  SIGNALBOX_WAREHOUSE_IDLE_SECONDS: '60',
  SIGNALBOX_EMBEDDED_WAREHOUSE: '',
  SIGNALBOX_KEEP_SPACES: '1',
  SIGNALBOX_SECRET_KEY: '',
  SIGNALBOX_ADMIN_API_KEY: '',
  LOG_LEVEL: 'info',
  SIGNALBOX_DEMO: '1',
  SIGNALBOX_BODY_LIMIT: '1mb',
  SIGNALBOX_SYNC_WAIT_SECONDS: '60',
  SIGNALBOX_SYNC_LOOKBACK_DAYS: '30',
  AIRFLOW_TIMEOUT_SECONDS: '30',
  ARGO_TIMEOUT_SECONDS: '30',
  SHUTDOWN_TIMEOUT_SECONDS: '10',
  SIGNALBOX_SHUTDOWN_GRACE_SECONDS: '25',
  SIGNALBOX_LEASE_SECONDS: '120',
  SIGNALBOX_WORKER_CONCURRENCY: '4',
  SIGNALBOX_RATE_LIMIT_PER_KEY: '100',
  SIGNALBOX_RATE_LIMIT_PER_ADDRESS: '300',
  SIGNALBOX_RATE_LIMIT_FAILED_AUTH: '30',
  SIGNALBOX_MAX_HEADER_BYTES: '16384',
  SIGNALBOX_TRUST_PROXY: '',
  SIGNALBOX_METRICS_TOKEN: '',
  SIGNALBOX_CONSOLE_DIR: '',
} as const;

/** Reads and checks the environment; throws ConfigError listing every wrong variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Config {
  const problems: string[] = [];
  const raw = (name: keyof typeof ENV_DEFAULTS) => {
    const v = env[name];
    return v === undefined || v.trim() === '' ? ENV_DEFAULTS[name] : v.trim();
  };
  const int = (name: keyof typeof ENV_DEFAULTS, min: number, max: number): number => {
    const v = raw(name);
    const n = Number(v);
    if (!/^\d+$/.test(v) || n < min || n > max) {
      problems.push(`${name}=${JSON.stringify(v)}: must be an integer from ${min} to ${max}`);
      return Number(ENV_DEFAULTS[name]);
    }
    return n;
  };

  const port = int('PORT', 0, 65535);
  const host = raw('HOST');
  if (!/^[\w.:\-[\]]+$/.test(host)) problems.push(`HOST=${JSON.stringify(host)}: must be a host name or an IP address`);

  let databaseUrl: string | null = raw('DATABASE_URL') || null;
  if (databaseUrl) {
    let ok = false;
    try {
      const u = new URL(databaseUrl);
      ok = u.protocol === 'postgres:' || u.protocol === 'postgresql:';
    } catch {
      ok = false;
    }
    // Never echo the URL: it may hold a password.
    if (!ok) problems.push('DATABASE_URL: must be a URL of the form postgres://user:password@host:5432/database');
    if (!ok) databaseUrl = null;
  }
  const databasePoolSize = int('DATABASE_POOL_SIZE', 1, 200);
  const databaseSchema = raw('DATABASE_SCHEMA') || null;
  if (databaseSchema !== null && !/^[a-z_][a-z0-9_]{0,62}$/.test(databaseSchema)) {
    problems.push(`DATABASE_SCHEMA=${JSON.stringify(databaseSchema)}: must be a lower-case identifier (a-z, 0-9, _)`);
  }
  const dataDir = resolve(cwd, raw('SIGNALBOX_DATA_DIR'));

  const secretKey = raw('SIGNALBOX_SECRET_KEY') || null;
  if (secretKey !== null && secretKey.length < 16) problems.push('SIGNALBOX_SECRET_KEY: must have at least 16 characters (e.g. `openssl rand -base64 32`)');
  if (secretKey === null && env.DATABASE_URL?.trim()) {
    problems.push(
      'SIGNALBOX_SECRET_KEY: is required with DATABASE_URL, and must be the same for every process sharing the database (e.g. `openssl rand -base64 32`)',
    );
  }

  const adminApiKey = raw('SIGNALBOX_ADMIN_API_KEY') || null;
  if (adminApiKey !== null && (!adminApiKey.startsWith('sbx_') || adminApiKey.length < 28 || /\s/.test(adminApiKey))) {
    problems.push("SIGNALBOX_ADMIN_API_KEY: must start with 'sbx_' followed by at least 24 characters without spaces (e.g. sbx_$(openssl rand -hex 24))");
  }

  const logLevel = raw('LOG_LEVEL').toLowerCase() as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) problems.push(`LOG_LEVEL=${JSON.stringify(raw('LOG_LEVEL'))}: must be one of ${LOG_LEVELS.join(', ')}`);

  const demoRaw = raw('SIGNALBOX_DEMO').toLowerCase();
  if (![...TRUE, ...FALSE].includes(demoRaw)) problems.push(`SIGNALBOX_DEMO=${JSON.stringify(demoRaw)}: must be 1 or 0 (or true/false, yes/no, on/off)`);

  const keepRaw = raw('SIGNALBOX_KEEP_SPACES').toLowerCase();
  if (![...TRUE, ...FALSE].includes(keepRaw)) problems.push(`SIGNALBOX_KEEP_SPACES=${JSON.stringify(keepRaw)}: must be 1 or 0 (or true/false, yes/no, on/off)`);

  const bodyLimit = raw('SIGNALBOX_BODY_LIMIT').toLowerCase();
  if (!/^\d+(b|kb|mb)$/.test(bodyLimit)) problems.push(`SIGNALBOX_BODY_LIMIT=${JSON.stringify(bodyLimit)}: must be a size such as 512kb or 1mb`);

  const syncWaitMs = int('SIGNALBOX_SYNC_WAIT_SECONDS', 1, 3600) * 1000;
  const syncLookbackDays = int('SIGNALBOX_SYNC_LOOKBACK_DAYS', 1, 3650);
  const airflowTimeoutMs = int('AIRFLOW_TIMEOUT_SECONDS', 1, 600) * 1000;
  const argoTimeoutMs = int('ARGO_TIMEOUT_SECONDS', 1, 600) * 1000;
  const shutdownTimeoutMs = int('SHUTDOWN_TIMEOUT_SECONDS', 1, 600) * 1000;
  const shutdownGraceMs = int('SIGNALBOX_SHUTDOWN_GRACE_SECONDS', 1, 3600) * 1000;
  const leaseMs = int('SIGNALBOX_LEASE_SECONDS', 2, 3600) * 1000;
  const workerConcurrency = int('SIGNALBOX_WORKER_CONCURRENCY', 1, 64);
  const rateLimits = {
    perKeyPerSecond: int('SIGNALBOX_RATE_LIMIT_PER_KEY', 0, 1_000_000),
    perAddressPerSecond: int('SIGNALBOX_RATE_LIMIT_PER_ADDRESS', 0, 1_000_000),
    failedAuthPerMinute: int('SIGNALBOX_RATE_LIMIT_FAILED_AUTH', 0, 1_000_000),
  };
  const maxHeaderBytes = int('SIGNALBOX_MAX_HEADER_BYTES', 1024, 1_048_576);
  const warehouseIdleMs = int('SIGNALBOX_WAREHOUSE_IDLE_SECONDS', 1, 86_400) * 1000;
  const embeddedRaw = raw('SIGNALBOX_EMBEDDED_WAREHOUSE').toLowerCase();
  if (embeddedRaw !== '' && ![...TRUE, ...FALSE].includes(embeddedRaw)) {
    problems.push(`SIGNALBOX_EMBEDDED_WAREHOUSE=${JSON.stringify(embeddedRaw)}: must be empty (on only without DATABASE_URL), 1 or 0`);
  }
  const embeddedWarehouse = embeddedRaw === '' ? databaseUrl === null : TRUE.includes(embeddedRaw);
  const trustRaw = raw('SIGNALBOX_TRUST_PROXY');
  // A number is a count of hops (0: none), checked before the yes/no words, where '1' would mean true.
  const trustProxy = /^\d+$/.test(trustRaw)
    ? Number(trustRaw) || null
    : trustRaw === '' || FALSE.includes(trustRaw.toLowerCase())
      ? null
      : TRUE.includes(trustRaw.toLowerCase())
        ? true
        : trustRaw;

  const metricsToken = raw('SIGNALBOX_METRICS_TOKEN') || null;
  // Never echo it: it is a secret.
  if (metricsToken !== null && (metricsToken.length < 16 || /\s/.test(metricsToken))) {
    problems.push('SIGNALBOX_METRICS_TOKEN: must have at least 16 characters without spaces (e.g. `openssl rand -hex 24`)');
  }
  const consoleDirRaw = raw('SIGNALBOX_CONSOLE_DIR');
  const consoleDir = consoleDirRaw ? resolve(cwd, consoleDirRaw) : DEFAULT_CONSOLE_DIR;

  if (problems.length > 0) throw new ConfigError(problems);
  return {
    port,
    host,
    databaseUrl,
    databasePoolSize,
    databaseSchema,
    dataDir,
    secretKey,
    adminApiKey,
    logLevel,
    demo: TRUE.includes(demoRaw),
    keepSpaces: TRUE.includes(keepRaw),
    bodyLimit,
    syncWaitMs,
    syncLookbackDays,
    airflowTimeoutMs,
    argoTimeoutMs,
    clusterFollowMs: 2000,
    shutdownTimeoutMs,
    shutdownGraceMs,
    leaseMs,
    workerConcurrency,
    workerPollMs: 1000,
    rateLimits,
    maxHeaderBytes,
    trustProxy,
    warehouseIdleMs,
    embeddedWarehouse,
    metricsToken,
    consoleDir,
  };
}
