import type { Actor } from '../access/access';
import { createWorker } from '../background';
import type { ProviderPipeline } from '../pipeline/pipeline';
import { ClusterEngines } from '../ports/cluster-engine';
import { ProviderRegistry } from '../ports/provider';
import { silentLogger } from '../ports/system';
import type { ProviderRun } from '../run/run';
import type { Role } from '../space/space';
import type { SyncRecord } from '../sync/sync';
import type { ProviderTaskRun } from '../task-run/task-run';
import type { FakeClusterEngine } from '../testing/fake-cluster-engine';
import { FakeWarehouses } from '../testing/fake-warehouse';
import { FakeClock, FaultyUnitOfWork, fakeDefinitions, HourlyCron, RecordingTelemetry, SequentialIds } from '../testing/fakes';
import { InMemoryProvider } from '../testing/in-memory-provider';
import { inMemoryPersistence } from '../testing/in-memory-repositories';
import { createServices } from './index';

export const HOUR = 3600_000;

/**
 * A space `acme` with one member of each role, an outsider, an instance admin, a second space
 * `other`, and a connector of each space on an in-memory provider: the stage of the use case tests.
 */
export async function world(options: { clusterEngine?: FakeClusterEngine } = {}) {
  const clock = new FakeClock('2026-03-01T12:00:00.000Z');
  const ids = new SequentialIds();
  const persistence = inMemoryPersistence(ids);
  const repos = persistence.repos;
  // Healthy until a test says where to fail.
  const uow = new FaultyUnitOfWork(persistence.uow);
  const provider = new InMemoryProvider(clock);
  const otherProvider = new InMemoryProvider(clock);
  const registry = new ProviderRegistry().register('mock', {
    create: (c) => (c.spaceId === acme.id ? provider : otherProvider),
    checkConfig: (c) => c,
  });
  const clusterEngines = options.clusterEngine ? new ClusterEngines().register('argo', options.clusterEngine) : undefined;
  // An argo connector syncs like any provider; here it lists nothing.
  if (clusterEngines) registry.register('argo', { create: () => new InMemoryProvider(clock), checkConfig: (c) => c });
  const definitions = fakeDefinitions();
  const cron = new HourlyCron();
  const warehouses = new FakeWarehouses();
  const telemetry = new RecordingTelemetry();
  const services = createServices({
    repos,
    uow,
    registry,
    clock,
    ids,
    sync: { leaseMs: 60_000 },
    definitions,
    cron,
    warehouses,
    engine: { cancelPollMs: 10, busyRetryMs: 0 },
    telemetry,
    ...(clusterEngines ? { clusterEngines, clusterRunner: { followMs: 0, busyRetryMs: 0, unreachableRetryMs: 0 } } : {}),
  });
  const worker = createWorker({
    jobs: repos.jobs,
    connectors: repos.connectors,
    syncs: services.syncs,
    engine: services.engine,
    clusterRunner: services.clusterRunner,
    runs: services.runs,
    pipelines: repos.pipelines,
    cron,
    clock,
    ids,
    logger: silentLogger,
    // The job lease outlasts the sync lease, so a test that stalls a sync past its lease does not also
    // hand its job to another claim: the sync record alone decides the takeover.
    options: { leaseMs: 600_000 },
  });

  const user = async (name: string, instanceAdmin = false): Promise<Actor> => {
    const u = { id: ids.id(), email: `${name}@example.com`, name, instanceAdmin, createdAt: clock.now() };
    await repos.users.create(u);
    return { userId: u.id, instanceAdmin };
  };
  const root = await user('root', true);
  const admin = await user('admin');
  const editor = await user('editor');
  const viewer = await user('viewer');
  const outsider = await user('outsider');
  const acme = await services.spaces.create(root, { slug: 'acme', name: 'Acme' });
  const other = await services.spaces.create(root, { slug: 'other', name: 'Other' });
  const roles: [Actor, Role][] = [
    [admin, 'admin'],
    [editor, 'editor'],
    [viewer, 'viewer'],
  ];
  for (const [a, role] of roles) await services.members.put(root, 'acme', a.userId, role);
  await services.members.put(root, 'other', outsider.userId, 'admin');

  const connector = await services.connectors.create(root, 'acme', { name: 'main', type: 'mock', config: {} });
  const otherConnector = await services.connectors.create(root, 'other', { name: 'main', type: 'mock', config: {} });

  return {
    clock,
    ids,
    repos,
    uow,
    provider,
    otherProvider,
    registry,
    definitions,
    cron,
    warehouses,
    telemetry,
    services,
    worker,
    root,
    admin,
    editor,
    viewer,
    outsider,
    acme,
    other,
    connector,
    otherConnector,
  };
}

export type World = Awaited<ReturnType<typeof world>>;

export const dag = (externalId: string, over: Partial<ProviderPipeline> = {}): ProviderPipeline => ({
  externalId,
  name: externalId,
  description: null,
  owner: 'data-eng',
  tags: [],
  schedule: '@daily',
  paused: false,
  nextRunAt: null,
  ...over,
});

export const providerRun = (pipelineExternalId: string, externalId: string, at: Date, over: Partial<ProviderRun> = {}): ProviderRun => ({
  pipelineExternalId,
  externalId,
  status: 'success',
  nativeStatus: 'success',
  runType: 'scheduled',
  logicalDate: at,
  queuedAt: at,
  startedAt: at,
  finishedAt: new Date(at.getTime() + 60_000),
  durationSeconds: 60,
  conf: {},
  note: null,
  updatedAt: new Date(at.getTime() + 60_000),
  ...over,
});

export const providerTaskRun = (run: ProviderRun, taskId: string, over: Partial<ProviderTaskRun> = {}): ProviderTaskRun => ({
  pipelineExternalId: run.pipelineExternalId,
  runExternalId: run.externalId,
  taskId,
  mapIndex: -1,
  status: 'success',
  nativeStatus: 'success',
  tryNumber: 1,
  startedAt: run.startedAt,
  finishedAt: run.finishedAt,
  durationSeconds: 60,
  operator: 'PythonOperator',
  updatedAt: run.updatedAt,
  ...over,
});

/** Runs a sync of acme's connector on the world's worker to its end and returns the finished record. */
export async function syncAcme(w: World) {
  return runToEnd(w, await w.services.syncs.start(w.admin, 'acme', w.connector.id));
}

/** Lets the worker claim queued jobs, then waits until the sync has ended (or was taken over and ended). */
export async function runToEnd(w: World, record: SyncRecord): Promise<SyncRecord> {
  await w.worker.poll();
  for (;;) {
    const now = await w.repos.syncs.get(record.spaceId, record.connectorId, record.id);
    if (now?.status !== 'running') return now!;
    await new Promise((r) => setImmediate(r));
  }
}
