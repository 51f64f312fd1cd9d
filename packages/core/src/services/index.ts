import type { CronSchedules } from '../background/cron';
import { CONNECTOR_TYPES } from '../connector/connector';
import { ClusterRunner, type ClusterRunnerOptions, DEFAULT_CLUSTER_RUNNER_OPTIONS } from '../engine/cluster-runner';
import { DEFAULT_ENGINE_OPTIONS, EmbeddedEngine, type EngineOptions } from '../engine/embedded-engine';
import { ManagedRuns } from '../engine/managed-runs';
import { warehouseConnectors } from '../engine/warehouse-connector';
import { type Authorizer, RoleAuthorizer } from '../ports/authorizer';
import type { ClusterEngines } from '../ports/cluster-engine';
import type { ProviderRegistry } from '../ports/provider';
import type { Repositories } from '../ports/repositories';
import { type Clock, type Hasher, type IdGenerator, type Logger, randomIds, sha256, silentLogger, systemClock } from '../ports/system';
import { silentTelemetry, type Telemetry } from '../ports/telemetry';
import type { UnitOfWork } from '../ports/unit-of-work';
import type { Warehouses } from '../ports/warehouse';
import { AccessService } from './access-service';
import { CommentService } from './comment-service';
import { ConnectorService } from './connector-service';
import { type DefinitionSupport, ManagedPipelineService } from './managed-pipeline-service';
import { MemberService } from './member-service';
import { PipelineService } from './pipeline-service';
import { RunService } from './run-service';
import { SpaceAccess } from './space-access';
import { SpaceService } from './space-service';
import { DEFAULT_SYNC_OPTIONS, type SyncOptions, SyncService } from './sync-service';
import { TeamService } from './team-service';

export interface ServiceDeps {
  repos: Repositories;
  /** Over the same store as `repos`: the use cases whose writes belong together run in it. */
  uow: UnitOfWork;
  registry: ProviderRegistry;
  clock?: Clock;
  ids?: IdGenerator;
  hasher?: Hasher;
  logger?: Logger;
  authorizer?: Authorizer;
  sync?: Partial<SyncOptions>;
  /** Reading definitions of managed pipelines; without it, their use cases answer `unavailable`. */
  definitions?: DefinitionSupport;
  /** Cron schedules of managed pipelines; without it, their use cases answer `unavailable`. */
  cron?: CronSchedules;
  /** Where the embedded engine runs steps; with `definitions`, managed pipelines can run. */
  warehouses?: Warehouses;
  /**
   * Whether the space's embedded warehouse may be used (default true). False when Signalbox runs
   * on PostgreSQL: a managed pipeline must then name a `warehouse` connector.
   */
  embeddedWarehouse?: boolean;
  engine?: Partial<EngineOptions>;
  /** Cluster engines by connector type (`argo`): a managed pipeline may name such a connector as its engine. */
  clusterEngines?: ClusterEngines;
  clusterRunner?: Partial<ClusterRunnerOptions>;
  /** Told how syncs and managed runs end, for metrics. Default: nowhere. */
  telemetry?: Telemetry;
}

export interface Services {
  access: AccessService;
  spaces: SpaceService;
  members: MemberService;
  teams: TeamService;
  connectors: ConnectorService;
  syncs: SyncService;
  pipelines: PipelineService;
  managed: ManagedPipelineService;
  runs: RunService;
  comments: CommentService;
  /** The job handler of managed runs; present when the deps have warehouses and definition tools. */
  engine?: EmbeddedEngine;
  /** The job handler of managed runs on cluster engines; present with `engine` and `clusterEngines`. */
  clusterRunner?: ClusterRunner;
}

/** Wires every use case over one set of repositories: the whole core for an embedding service. */
export function createServices(deps: ServiceDeps): Services {
  const { repos: r, uow, registry } = deps;
  // Warehouse connectors hold data: their type is the core's own, whatever providers are installed.
  if (!registry.supports('warehouse')) registry.register('warehouse', warehouseConnectors);
  const clock = deps.clock ?? systemClock;
  const telemetry = deps.telemetry ?? silentTelemetry;
  const ids = deps.ids ?? randomIds;
  const hasher = deps.hasher ?? sha256;
  const authz = deps.authorizer ?? new RoleAuthorizer(r.memberships);
  const access = new SpaceAccess(r.spaces, authz);
  const pipelines = new PipelineService(r.pipelines, r.versions, r.runs, r.teams, r.watches, access, clock);
  const embeddedWarehouse = deps.embeddedWarehouse ?? true;
  const canRun = deps.warehouses !== undefined && deps.definitions !== undefined;
  const clusterEngines = [...CONNECTOR_TYPES].filter((t) => deps.clusterEngines?.supports(t));
  const managedRuns = canRun
    ? new ManagedRuns(r.runs, r.taskRuns, r.versions, r.connectors, uow, clock, ids, { embeddedWarehouse, clusterEngines })
    : undefined;
  const clusterRunner =
    deps.definitions && deps.clusterEngines && canRun
      ? new ClusterRunner(
          r.runs,
          r.taskRuns,
          r.pipelines,
          r.versions,
          r.connectors,
          uow,
          deps.clusterEngines,
          deps.definitions.sql,
          clock,
          ids,
          deps.logger ?? silentLogger,
          telemetry,
          {
            ...DEFAULT_CLUSTER_RUNNER_OPTIONS,
            ...deps.clusterRunner,
          },
        )
      : undefined;
  const engine =
    deps.warehouses && deps.definitions
      ? new EmbeddedEngine(
          r.runs,
          r.taskRuns,
          r.pipelines,
          r.versions,
          r.connectors,
          uow,
          deps.warehouses,
          deps.definitions.sql,
          clock,
          ids,
          deps.logger ?? silentLogger,
          telemetry,
          {
            ...DEFAULT_ENGINE_OPTIONS,
            ...deps.engine,
          },
        )
      : undefined;
  return {
    access: new AccessService(r.users, r.apiKeys, clock, ids, hasher),
    spaces: new SpaceService(r.spaces, uow, access, clock, ids),
    members: new MemberService(r.memberships, r.users, uow, access, clock),
    teams: new TeamService(r.teams, access, clock, ids),
    connectors: new ConnectorService(r.connectors, uow, registry, access, clock, ids),
    syncs: new SyncService(
      r.connectors,
      r.pipelines,
      r.runs,
      r.taskRuns,
      r.syncs,
      uow,
      r.jobs,
      registry,
      access,
      clock,
      ids,
      deps.logger ?? silentLogger,
      telemetry,
      {
        ...DEFAULT_SYNC_OPTIONS,
        ...deps.sync,
      },
    ),
    pipelines,
    managed: new ManagedPipelineService(r.pipelines, r.versions, r.connectors, uow, registry, access, pipelines, deps.definitions, deps.cron, clock, ids, {
      embeddedWarehouse,
      clusterEngines,
    }),
    runs: new RunService(r.runs, r.taskRuns, r.pipelines, r.versions, r.connectors, uow, registry, access, clock, ids, hasher, managedRuns),
    comments: new CommentService(r.comments, r.runs, r.taskRuns, access, authz, clock, ids),
    ...(engine ? { engine } : {}),
    ...(clusterRunner ? { clusterRunner } : {}),
  };
}

export type { IssuedKey } from './access-service';
export { BOOTSTRAP_ADMIN_EMAIL } from './access-service';
export type { ConnectorChanges, NewConnector } from './connector-service';
export type { DefinitionSupport, DefinitionText, ValidationResult, VersionDiff, VersionWrite } from './managed-pipeline-service';
export { definitionSupport } from './managed-pipeline-service';
export type { PipelineDetail, Tagged } from './pipeline-service';
export { checkDays } from './pipeline-service';
export type { RunDetail, RunWait, RunWithVersion, TriggerInput } from './run-service';
export { MAX_NOTE_LENGTH, MAX_WAIT_SECONDS, RUN_ID_PREFIX } from './run-service';
export type { SyncJobPayload, SyncOptions } from './sync-service';
export { DEFAULT_SYNC_OPTIONS, SYNC_INTERRUPTED, SYNC_JOB } from './sync-service';
export {
  AccessService,
  CommentService,
  ConnectorService,
  ManagedPipelineService,
  MemberService,
  PipelineService,
  RunService,
  SpaceAccess,
  SpaceService,
  SyncService,
  TeamService,
};
