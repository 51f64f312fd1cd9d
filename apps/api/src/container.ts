import 'reflect-metadata';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  ClusterEngines,
  createServices,
  createWorker,
  definitionSupport,
  JOB_NAMES,
  ProviderRegistry,
  type Repositories,
  type Services,
  systemClock,
} from '@signalbox/core';
import { definitionTools } from '@signalbox/definition-tools';
import { buildApp, createMetrics, createRateLimiter, type Metrics } from '@signalbox/http-express';
import { kyselyPersistence, openDatabase, sqlClient, timeOrderedIds } from '@signalbox/persistence-kysely';
import { airflowProviderFactory } from '@signalbox/provider-airflow';
import { argoEngineFactory, argoProviderFactory } from '@signalbox/provider-argo';
import { MockProviderFactory } from '@signalbox/provider-mock';
import { CronerSchedules } from '@signalbox/schedule-croner';
import { DATABASE_IDENTITY_SQL, type DatabaseIdentity, postgresWarehouses } from '@signalbox/warehouse-postgres';
import { Container } from 'inversify';
import { sql } from 'kysely';
import type { Config } from './config';
import { coreLogger, createLogger } from './logging';
import { nodeSha256 } from './node-hasher';
import { resolveSecretKey } from './secret-key';
import { T } from './tokens';

const DAY_MS = 24 * 3600_000;

export interface ContainerOptions {
  /** Where JSON logs go (default stdout). */
  logStream?: NodeJS.WritableStream;
  /**
   * On PostgreSQL, keep each space's last read answer for conditional reads, told of changes by
   * the database (ADR 0024). Default: the configuration's `keepSpaces`; a process that serves no
   * HTTP (the worker, the CLI) has no use for it, nor for the connection it listens on.
   */
  keepSpaces?: boolean;
}

/**
 * The composition root: the only place that knows every package. Singletons throughout; the
 * database and everything built on it are async bindings, resolved with `getAsync`.
 */
export function buildContainer(config: Config, opts: ContainerOptions = {}): Container {
  const c = new Container({ defaultScope: 'Singleton' });
  c.bind(T.config).toConstantValue(config);
  c.bind(T.logger).toResolvedValue(() => createLogger(config.logLevel, opts.logStream));
  c.bind(T.coreLogger).toResolvedValue(coreLogger, [T.logger]);
  c.bind(T.clock).toConstantValue(systemClock);
  // Time-ordered: new rows' ids land at the right edge of their indexes (persistence-kysely's ids.ts).
  c.bind(T.ids).toConstantValue(timeOrderedIds);
  c.bind(T.hasher).toConstantValue(nodeSha256);

  c.bind(T.secretKey).toResolvedValue((cfg: Config, logger) => resolveSecretKey(cfg, logger), [T.config, T.coreLogger]);
  c.bind(T.database)
    .toResolvedValue(
      async (cfg: Config, logger) => {
        if (cfg.databaseUrl) {
          return openDatabase({
            databaseUrl: cfg.databaseUrl,
            poolSize: cfg.databasePoolSize,
            ...(cfg.databaseSchema ? { schema: cfg.databaseSchema } : {}),
            onIdleError: (err) => logger.warn('database: an idle connection failed; the next query opens another', { error: err.message }),
            keepSpaces: opts.keepSpaces ?? cfg.keepSpaces,
            onListenError: (err) =>
              logger.warn('database: the connection that listens for changed spaces failed; conditional reads query until it listens again', {
                error: err.message,
              }),
          });
        }
        if (cfg.inMemoryDatabase) return openDatabase({});
        await mkdir(cfg.dataDir, { recursive: true });
        return openDatabase({ dataDir: join(cfg.dataDir, 'pglite') });
      },
      [T.config, T.coreLogger],
    )
    .onDeactivation((db) => db.close());
  c.bind(T.persistence).toResolvedValue(
    (db, secretKey, ids) => kyselyPersistence(db.db, { secretKey, ids, ...(db.kept ? { kept: db.kept } : {}) }),
    [T.database, T.secretKey, T.ids],
  );
  c.bind(T.repositories).toResolvedValue((p) => p.repos, [T.persistence]);
  c.bind(T.uow).toResolvedValue((p) => p.uow, [T.persistence]);

  c.bind(T.mockProviders).toResolvedValue(
    (clock, cfg: Config) => new MockProviderFactory(clock, { lookbackMs: cfg.syncLookbackDays * DAY_MS }),
    [T.clock, T.config],
  );
  c.bind(T.airflowProviders).toResolvedValue(
    (cfg: Config) => airflowProviderFactory({ timeoutMs: cfg.airflowTimeoutMs, lookbackMs: cfg.syncLookbackDays * DAY_MS }),
    [T.config],
  );
  c.bind(T.argoProviders).toResolvedValue((cfg: Config) => argoProviderFactory({ timeoutMs: cfg.argoTimeoutMs }), [T.config]);
  c.bind(T.registry).toResolvedValue(
    (mock, airflow, argo) => new ProviderRegistry().register('mock', mock).register('airflow', airflow).register('argo', argo),
    [T.mockProviders, T.airflowProviders, T.argoProviders],
  );
  // An argo connector also runs managed pipelines that name it as their engine.
  c.bind(T.clusterEngines).toResolvedValue(
    (cfg: Config) => new ClusterEngines().register('argo', argoEngineFactory({ timeoutMs: cfg.argoTimeoutMs })),
    [T.config],
  );

  c.bind(T.cron).toConstantValue(new CronerSchedules());
  // Embedded warehouses live beside the embedded database (in memory when it is); never inside it.
  // A connector that points at Signalbox's own PostgreSQL database is refused when a step runs.
  c.bind(T.warehouses)
    .toResolvedValue(
      (cfg: Config, logger, db) => {
        let own: Promise<DatabaseIdentity | null> | undefined;
        const signalbox = () =>
          (own ??=
            db.dialect === 'postgres'
              ? sql
                  .raw<DatabaseIdentity>(DATABASE_IDENTITY_SQL)
                  .execute(db.db)
                  .then((r) => r.rows[0] ?? null)
              : Promise.resolve(null));
        return postgresWarehouses({ dataDir: cfg.inMemoryDatabase ? null : cfg.dataDir, idleMs: cfg.warehouseIdleMs, logger, signalbox });
      },
      [T.config, T.coreLogger, T.database],
    )
    .onDeactivation((w) => w.close());

  // Read at each scrape: the queue across every process on the database, this process's pool (PostgreSQL only).
  c.bind(T.metrics).toResolvedValue(
    (db, repos: Repositories, clock) =>
      createMetrics({ jobs: () => repos.jobs.depth(clock.now()), jobNames: JOB_NAMES, ...(db.poolUse ? { pool: db.poolUse } : {}) }),
    [T.database, T.repositories, T.clock],
  );
  c.bind(T.services).toResolvedValue(
    (repos, uow, registry, clock, ids, hasher, logger, cfg: Config, cron, warehouses, clusterEngines, metrics: Metrics) =>
      createServices({
        repos,
        uow,
        registry,
        clock,
        ids,
        hasher,
        logger,
        sync: { leaseMs: cfg.leaseMs },
        cron,
        definitions: definitionSupport({ ...definitionTools(), cron }, hasher),
        warehouses,
        // On PostgreSQL any process's worker may take a run, and a PGlite folder belongs to one process.
        embeddedWarehouse: cfg.embeddedWarehouse,
        clusterEngines,
        clusterRunner: { followMs: cfg.clusterFollowMs },
        telemetry: metrics.telemetry,
      }),
    [T.repositories, T.uow, T.registry, T.clock, T.ids, T.hasher, T.coreLogger, T.config, T.cron, T.warehouses, T.clusterEngines, T.metrics],
  );
  c.bind(T.worker).toResolvedValue(
    (repos: Repositories, services: Services, clock, ids, logger, cfg: Config, cron) =>
      createWorker({
        jobs: repos.jobs,
        connectors: repos.connectors,
        syncs: services.syncs,
        pipelines: repos.pipelines,
        cron,
        ...(services.engine ? { engine: services.engine } : {}),
        ...(services.clusterRunner ? { clusterRunner: services.clusterRunner } : {}),
        runs: services.runs,
        clock,
        ids,
        logger,
        options: { concurrency: cfg.workerConcurrency, pollMs: cfg.workerPollMs, leaseMs: cfg.leaseMs, graceMs: cfg.shutdownGraceMs },
      }),
    [T.repositories, T.services, T.clock, T.ids, T.coreLogger, T.config, T.cron],
  );
  c.bind(T.app).toResolvedValue(
    (services, db, logger, winstonLogger, cfg: Config, metrics: Metrics) =>
      buildApp(services, {
        ready: () => db.ping(),
        logger,
        // The access log is at info: when the logger drops info, its lines would be built only to
        // be dropped (about 10 µs a request, measured).
        accessLog: winstonLogger.isInfoEnabled(),
        bodyLimit: cfg.bodyLimit,
        syncWaitMs: cfg.syncWaitMs,
        // Processes sharing one PostgreSQL count against the same limits; an embedded database
        // has one process, whose memory is enough.
        rateLimiter: createRateLimiter(cfg.rateLimits, db.dialect === 'postgres' ? sqlClient(db.db) : undefined),
        trustProxy: cfg.trustProxy,
        metrics,
        metricsToken: cfg.metricsToken,
        consoleDir: cfg.consoleDir,
      }),
    [T.services, T.database, T.coreLogger, T.logger, T.config, T.metrics],
  );
  return c;
}
