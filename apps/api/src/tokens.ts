import type {
  Clock,
  ClusterEngines,
  Logger as CoreLogger,
  CronSchedules,
  Hasher,
  IdGenerator,
  ProviderFactory,
  ProviderRegistry,
  Repositories,
  Services,
  UnitOfWork,
  Warehouses,
  Worker,
} from '@signalbox/core';
import type { buildApp, Metrics } from '@signalbox/http-express';
import type { Database, kyselyPersistence } from '@signalbox/persistence-kysely';
import type { MockProviderFactory } from '@signalbox/provider-mock';
import type { ServiceIdentifier } from 'inversify';
import type winston from 'winston';
import type { Config } from './config';

const token = <T>(name: string) => Symbol.for(`signalbox/${name}`) as ServiceIdentifier<T>;

/** Every binding of the container. Async ones (database and what depends on it) need `getAsync`. */
export const T = {
  config: token<Config>('config'),
  logger: token<winston.Logger>('logger'),
  coreLogger: token<CoreLogger>('coreLogger'),
  clock: token<Clock>('clock'),
  ids: token<IdGenerator>('ids'),
  hasher: token<Hasher>('hasher'),
  /** async */
  secretKey: token<string>('secretKey'),
  /** async */
  database: token<Database>('database'),
  /** async: the repositories and the unit of work over them, sharing one secret box */
  persistence: token<ReturnType<typeof kyselyPersistence>>('persistence'),
  /** async */
  repositories: token<Repositories>('repositories'),
  /** async */
  uow: token<UnitOfWork>('uow'),
  mockProviders: token<MockProviderFactory>('mockProviders'),
  airflowProviders: token<ProviderFactory>('airflowProviders'),
  argoProviders: token<ProviderFactory>('argoProviders'),
  clusterEngines: token<ClusterEngines>('clusterEngines'),
  registry: token<ProviderRegistry>('registry'),
  /** Cron schedules (croner), for the scheduler of managed pipelines. */
  cron: token<CronSchedules>('cron'),
  /** async: where managed pipelines' steps run (the spaces' embedded warehouses and `warehouse` connectors) */
  warehouses: token<Warehouses>('warehouses'),
  /** async: Prometheus metrics of this process (its own registry), and the telemetry the core reports to */
  metrics: token<Metrics>('metrics'),
  /** async */
  services: token<Services>('services'),
  /** async: the background worker of this process */
  worker: token<Worker>('worker'),
  /** async */
  app: token<ReturnType<typeof buildApp>>('app'),
} as const;
