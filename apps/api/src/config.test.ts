import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError, DEFAULT_CONSOLE_DIR, ENV_DEFAULTS, loadConfig } from './config';

const problemsOf = (env: NodeJS.ProcessEnv): string[] => {
  try {
    loadConfig(env, '/srv/app');
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
};

describe('configuration from the environment', () => {
  it('has defaults for an empty environment: embedded database, demo on, loopback', () => {
    expect(loadConfig({}, '/srv/app')).toEqual({
      port: 3000,
      host: '127.0.0.1',
      databaseUrl: null,
      databasePoolSize: 10,
      databaseSchema: null,
      dataDir: resolve('/srv/app', '.data'),
      secretKey: null,
      adminApiKey: null,
      logLevel: 'info',
      demo: true,
      keepSpaces: true,
      bodyLimit: '1mb',
      syncWaitMs: 60_000,
      syncLookbackDays: 30,
      airflowTimeoutMs: 30_000,
      argoTimeoutMs: 30_000,
      clusterFollowMs: 2000,
      shutdownTimeoutMs: 10_000,
      shutdownGraceMs: 25_000,
      leaseMs: 120_000,
      workerConcurrency: 4,
      workerPollMs: 1000,
      rateLimits: { perKeyPerSecond: 100, perAddressPerSecond: 300, failedAuthPerMinute: 30 },
      maxHeaderBytes: 16_384,
      trustProxy: null,
      warehouseIdleMs: 60_000,
      embeddedWarehouse: true,
      metricsToken: null,
      consoleDir: DEFAULT_CONSOLE_DIR,
    });
  });

  it('serves the workspace’s console build unless told another folder, relative to the working directory', () => {
    expect(DEFAULT_CONSOLE_DIR).toBe(resolve(__dirname, '..', '..', 'console', 'dist'));
    expect(loadConfig({ SIGNALBOX_CONSOLE_DIR: 'web/console' }, '/srv/app').consoleDir).toBe('/srv/app/web/console');
    expect(loadConfig({ SIGNALBOX_CONSOLE_DIR: '/opt/console' }, '/srv/app').consoleDir).toBe('/opt/console');
  });

  it('reads the metrics token, refusing a short one without echoing it', () => {
    expect(loadConfig({ SIGNALBOX_METRICS_TOKEN: ' scrape-token-0123456789 ' }, '/srv/app').metricsToken).toBe('scrape-token-0123456789');
    for (const token of ['short-secret', 'has a space in the middle']) {
      const problems = problemsOf({ SIGNALBOX_METRICS_TOKEN: token });
      expect(problems).toEqual([expect.stringMatching(/^SIGNALBOX_METRICS_TOKEN: must have at least 16 characters/)]);
      expect(problems[0]).not.toContain(token);
    }
  });

  it('refuses the embedded warehouse on PostgreSQL unless one process is vouched for', () => {
    const pgEnv = { DATABASE_URL: 'postgres://u:p@db:5432/sbx', SIGNALBOX_SECRET_KEY: 'x'.repeat(20) };
    expect(loadConfig(pgEnv, '/srv/app').embeddedWarehouse).toBe(false);
    expect(loadConfig({ ...pgEnv, SIGNALBOX_EMBEDDED_WAREHOUSE: '1' }, '/srv/app').embeddedWarehouse).toBe(true);
    expect(loadConfig({ SIGNALBOX_EMBEDDED_WAREHOUSE: '0' }, '/srv/app').embeddedWarehouse).toBe(false);
    expect(() => loadConfig({ SIGNALBOX_EMBEDDED_WAREHOUSE: 'maybe' }, '/srv/app')).toThrow(/SIGNALBOX_EMBEDDED_WAREHOUSE/);
    expect(loadConfig({ SIGNALBOX_WAREHOUSE_IDLE_SECONDS: '5' }, '/srv/app').warehouseIdleMs).toBe(5000);
  });

  it('reads the background work settings and refuses a lease under 2 s or no concurrency', () => {
    expect(loadConfig({ SIGNALBOX_SHUTDOWN_GRACE_SECONDS: '5', SIGNALBOX_LEASE_SECONDS: '4', SIGNALBOX_WORKER_CONCURRENCY: '2' }, '/srv/app')).toMatchObject({
      shutdownGraceMs: 5000,
      leaseMs: 4000,
      workerConcurrency: 2,
    });
    expect(problemsOf({ SIGNALBOX_LEASE_SECONDS: '1', SIGNALBOX_WORKER_CONCURRENCY: '0', SIGNALBOX_SHUTDOWN_GRACE_SECONDS: 'soon' })).toEqual([
      expect.stringContaining('SIGNALBOX_SHUTDOWN_GRACE_SECONDS'),
      expect.stringContaining('SIGNALBOX_LEASE_SECONDS'),
      expect.stringContaining('SIGNALBOX_WORKER_CONCURRENCY'),
    ]);
  });

  it('reads the rate limits (0 turns one off), the header limit and the proxies to trust', () => {
    const c = loadConfig({
      SIGNALBOX_RATE_LIMIT_PER_KEY: '0',
      SIGNALBOX_RATE_LIMIT_PER_ADDRESS: '50',
      SIGNALBOX_RATE_LIMIT_FAILED_AUTH: '5',
      SIGNALBOX_MAX_HEADER_BYTES: '32768',
      SIGNALBOX_TRUST_PROXY: '1',
    });
    expect([c.rateLimits, c.maxHeaderBytes, c.trustProxy]).toEqual([{ perKeyPerSecond: 0, perAddressPerSecond: 50, failedAuthPerMinute: 5 }, 32_768, 1]);
    expect(loadConfig({ SIGNALBOX_TRUST_PROXY: 'loopback' }).trustProxy).toBe('loopback');
    expect(() => loadConfig({ SIGNALBOX_RATE_LIMIT_PER_KEY: '-1' })).toThrow(/SIGNALBOX_RATE_LIMIT_PER_KEY/);
  });

  it('reads every variable', () => {
    const c = loadConfig(
      {
        PORT: '8080',
        HOST: '0.0.0.0',
        DATABASE_URL: 'postgres://u:p@db:5432/sbx',
        DATABASE_POOL_SIZE: '20',
        DATABASE_SCHEMA: 'signalbox',
        SIGNALBOX_DATA_DIR: '/var/lib/signalbox',
        SIGNALBOX_SECRET_KEY: 'a-long-enough-secret',
        SIGNALBOX_ADMIN_API_KEY: 'sbx_0123456789abcdefghijklmnop',
        LOG_LEVEL: 'DEBUG',
        SIGNALBOX_DEMO: 'off',
        SIGNALBOX_KEEP_SPACES: '0',
        SIGNALBOX_BODY_LIMIT: '256kb',
        SIGNALBOX_SYNC_WAIT_SECONDS: '5',
        SIGNALBOX_SYNC_LOOKBACK_DAYS: '7',
        AIRFLOW_TIMEOUT_SECONDS: '10',
        ARGO_TIMEOUT_SECONDS: '12',
        SHUTDOWN_TIMEOUT_SECONDS: '3',
      },
      '/srv/app',
    );
    expect(c).toMatchObject({
      port: 8080,
      host: '0.0.0.0',
      databaseUrl: 'postgres://u:p@db:5432/sbx',
      databasePoolSize: 20,
      databaseSchema: 'signalbox',
      dataDir: '/var/lib/signalbox',
      logLevel: 'debug',
      demo: false,
      keepSpaces: false,
      bodyLimit: '256kb',
      syncWaitMs: 5000,
      syncLookbackDays: 7,
      airflowTimeoutMs: 10_000,
      argoTimeoutMs: 12_000,
      shutdownTimeoutMs: 3000,
    });
  });

  it.each([
    ['PORT', { PORT: 'eighty' }, /^PORT="eighty": must be an integer from 0 to 65535/],
    ['PORT range', { PORT: '70000' }, /^PORT=/],
    ['HOST', { HOST: 'a b' }, /^HOST=/],
    ['DATABASE_URL', { DATABASE_URL: 'mysql://x', SIGNALBOX_SECRET_KEY: 'x'.repeat(16) }, /^DATABASE_URL: must be a URL/],
    ['SIGNALBOX_SECRET_KEY length', { SIGNALBOX_SECRET_KEY: 'short' }, /^SIGNALBOX_SECRET_KEY: must have at least 16/],
    ['SIGNALBOX_SECRET_KEY with DATABASE_URL', { DATABASE_URL: 'postgres://h/db' }, /^SIGNALBOX_SECRET_KEY: is required with DATABASE_URL/],
    ['SIGNALBOX_ADMIN_API_KEY', { SIGNALBOX_ADMIN_API_KEY: 'letmein' }, /^SIGNALBOX_ADMIN_API_KEY: must start with 'sbx_'/],
    ['LOG_LEVEL', { LOG_LEVEL: 'loud' }, /^LOG_LEVEL="loud": must be one of error, warn/],
    ['SIGNALBOX_DEMO', { SIGNALBOX_DEMO: 'maybe' }, /^SIGNALBOX_DEMO="maybe"/],
    ['SIGNALBOX_KEEP_SPACES', { SIGNALBOX_KEEP_SPACES: 'sometimes' }, /^SIGNALBOX_KEEP_SPACES="sometimes": must be 1 or 0/],
    ['SIGNALBOX_BODY_LIMIT', { SIGNALBOX_BODY_LIMIT: 'huge' }, /^SIGNALBOX_BODY_LIMIT=/],
    ['DATABASE_SCHEMA', { DATABASE_SCHEMA: 'Drop Table' }, /^DATABASE_SCHEMA=/],
    ['SIGNALBOX_SYNC_WAIT_SECONDS', { SIGNALBOX_SYNC_WAIT_SECONDS: '0' }, /^SIGNALBOX_SYNC_WAIT_SECONDS=/],
  ])('refuses a wrong %s with a message naming it', (_name, env, message) => {
    const problems = problemsOf(env);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(message);
  });

  it('lists every wrong variable at once and never echoes a database password', () => {
    const problems = problemsOf({ PORT: 'x', LOG_LEVEL: 'y', DATABASE_URL: 'http://user:hunter2@h/db', SIGNALBOX_SECRET_KEY: 'x'.repeat(20) });
    expect(problems.map((p) => p.split(/[=:]/)[0])).toEqual(['PORT', 'DATABASE_URL', 'LOG_LEVEL']);
    expect(problems.join('\n')).not.toContain('hunter2');
  });
});

describe('.env.example', () => {
  it('lists every variable with its default', () => {
    const text = readFileSync(resolve(__dirname, '../../../.env.example'), 'utf8');
    const listed = Object.fromEntries(
      text
        .split('\n')
        .filter((l) => /^[A-Z_]+=/.test(l))
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    expect(listed).toEqual(ENV_DEFAULTS);
  });
});
