import type { PipelineSpec } from '../../definition/definition';
import { MANAGED_PROVIDER, type PipelineVersion } from '../../pipeline/managed';
import type { Pipeline } from '../../pipeline/pipeline';
import {
  aConnector,
  aManagedRun,
  aSpace,
  at,
  aUser,
  type ContractSubject,
  listQuery,
  type MakeRepositories,
  page,
  providerPipeline,
  somePipelines,
  T0,
  useSubject,
} from './fixtures';

const OTHER = '00000000-0000-4000-8000-ffffffffffff';

/** A normalized spec of one step, named `name`. */
export const aSpec = (name: string, query = 'SELECT 1 AS x'): PipelineSpec => ({
  name,
  version: '1.0',
  description: null,
  owner: 'data',
  tags: ['t'],
  schedule: '0 * * * *',
  engine: 'embedded',
  warehouse: null,
  max_active_runs: 1,
  timeout_seconds: null,
  variables: {},
  steps: [{ name: 'one', config: { query_type: 'sql', query, input_datasets: [], output_datasets: ['one'], job_type: 'extract' }, depends_on: [] }],
});

/** A managed pipeline and its version `number`, as the use cases build them (not stored). */
export function aManaged(s: ContractSubject, spaceId: string, name: string, over: Partial<Pipeline> = {}, number = 1) {
  const id = over.id ?? s.ids.id();
  const version: PipelineVersion = {
    id: s.ids.id(),
    spaceId,
    pipelineId: id,
    number,
    version: `${number}.0`,
    specHash: `hash-${name}-${number}`,
    source: `name: ${name}\n`,
    format: 'yaml',
    spec: aSpec(name),
    createdAt: at(number),
    createdBy: null,
    message: number === 1 ? 'first' : null,
  };
  const pipeline: Pipeline = {
    id,
    spaceId,
    origin: 'managed',
    connectorId: null,
    provider: MANAGED_PROVIDER,
    externalId: name,
    name,
    description: null,
    owner: 'data',
    tags: ['t'],
    schedule: '0 * * * *',
    paused: false,
    nextRunAt: at(60),
    teamId: null,
    criticality: null,
    lastRunStatus: null,
    lastRunAt: null,
    removedAt: null,
    createdAt: T0,
    updatedAt: T0,
    managed: {
      engine: 'embedded',
      warehouse: null,
      maxActiveRuns: 1,
      timeoutSeconds: null,
      currentVersion: {
        id: version.id,
        number,
        version: version.version,
        specHash: version.specHash,
        createdAt: version.createdAt,
        createdBy: null,
        message: version.message,
      },
    },
    ...over,
  };
  return { pipeline, version };
}

/** Stores a managed pipeline with its first version in one unit, as the create use case does. */
export async function storeManaged(s: ContractSubject, spaceId: string, name: string, over: Partial<Pipeline> = {}) {
  const made = aManaged(s, spaceId, name, over);
  await s.uow.run(async (r) => {
    await r.pipelines.createManaged(made.pipeline);
    await r.versions.create(made.version);
  });
  return made;
}

/** The next version of a managed pipeline, and the pipeline pointing at it. */
function nextOf(s: ContractSubject, p: Pipeline, fields: Partial<Pipeline> = {}) {
  const n = (p.managed?.currentVersion.number ?? 0) + 1;
  const { managed: _, ...rest } = { ...p, ...fields };
  const next = aManaged(s, p.spaceId, fields.name ?? p.name, rest, n);
  return { pipeline: { ...next.pipeline, updatedAt: at(n) }, version: next.version };
}

/** PipelineRepository's managed pipelines and PipelineVersionRepository. */
export function managedContracts(name: string, make: MakeRepositories) {
  describe(`${name}: managed pipelines and versions`, () => {
    const subject = useSubject(make);

    it('stores a managed pipeline with its current version, shown by get, view and list', async () => {
      const s = subject();
      const space = await aSpace(s);
      const viewer = await aUser(s);
      const { pipeline, version } = await storeManaged(s, space.id, 'orders');
      expect(await s.repos.pipelines.get(space.id, pipeline.id)).toEqual(pipeline);
      expect((await s.repos.pipelines.view(space.id, pipeline.id, viewer.id, at(-60), 7))?.pipeline).toEqual(pipeline);
      const listed = await s.repos.pipelines.list(space.id, listQuery(viewer.id));
      expect(listed.items.map((v) => v.pipeline)).toEqual([pipeline]);
      expect(await s.repos.versions.get(space.id, pipeline.id, version.id)).toEqual(version);
      expect(await s.repos.versions.getByNumber(space.id, pipeline.id, 1)).toEqual(version);
    });

    it('keeps a managed name unique in its space only, and apart from synced pipelines', async () => {
      const s = subject();
      const space = await aSpace(s);
      const other = await aSpace(s);
      const connector = await aConnector(s, space.id);
      await somePipelines(s, connector, [providerPipeline('orders')]);
      const first = await storeManaged(s, space.id, 'orders');
      await expect(storeManaged(s, space.id, 'orders')).rejects.toMatchObject({ kind: 'conflict', code: 'PIPELINE_EXISTS' });
      await storeManaged(s, other.id, 'orders');
      // Nothing of the refused unit stays.
      const all = await s.repos.pipelines.list(space.id, listQuery(OTHER, { filter: { origin: ['managed'] } }));
      expect(all.items.map((v) => v.pipeline.id)).toEqual([first.pipeline.id]);
      // A rename onto a taken name is refused as well.
      const second = await storeManaged(s, space.id, 'customers');
      const renamed = nextOf(s, second.pipeline, { name: 'orders', externalId: 'orders' });
      await expect(s.repos.pipelines.updateManaged(renamed.pipeline, 1)).rejects.toMatchObject({ kind: 'conflict', code: 'PIPELINE_EXISTS' });
    });

    it('finds a managed pipeline by name in its own space only, never a synced one of that name', async () => {
      const s = subject();
      const space = await aSpace(s);
      const other = await aSpace(s);
      const connector = await aConnector(s, space.id);
      await somePipelines(s, connector, [providerPipeline('orders'), providerPipeline('etl')]);
      const orders = await storeManaged(s, space.id, 'orders');
      const elsewhere = await storeManaged(s, other.id, 'orders');
      expect((await s.repos.pipelines.getManagedByName(space.id, 'orders'))?.id).toBe(orders.pipeline.id);
      expect((await s.repos.pipelines.getManagedByName(space.id, 'orders'))?.managed?.currentVersion.id).toBe(orders.version.id);
      expect((await s.repos.pipelines.getManagedByName(other.id, 'orders'))?.id).toBe(elsewhere.pipeline.id);
      expect(await s.repos.pipelines.getManagedByName(space.id, 'etl')).toBeUndefined();
      expect(await s.repos.pipelines.getManagedByName(space.id, 'ORDERS')).toBeUndefined();
      expect(await s.repos.pipelines.getManagedByName('not-a-uuid', 'orders')).toBeUndefined();
    });

    it('filters the list by origin, one or several', async () => {
      const s = subject();
      const space = await aSpace(s);
      const connector = await aConnector(s, space.id);
      await somePipelines(s, connector, [providerPipeline('a-synced')]);
      await storeManaged(s, space.id, 'b-managed');
      const names = async (origin?: ('synced' | 'managed')[]) =>
        (await s.repos.pipelines.list(space.id, listQuery(OTHER, { filter: origin ? { origin } : {} }))).items.map((v) => v.pipeline.name);
      expect(await names(['managed'])).toEqual(['b-managed']);
      expect(await names(['synced'])).toEqual(['a-synced']);
      expect(await names(['synced', 'managed'])).toEqual(['a-synced', 'b-managed']);
      expect(await names()).toEqual(['a-synced', 'b-managed']);
      // Text search sees a managed pipeline's fields as a synced one's.
      expect((await s.repos.pipelines.list(space.id, listQuery(OTHER, { filter: { q: 'B-MAN' } }))).items.map((v) => v.pipeline.name)).toEqual(['b-managed']);
      expect((await s.repos.pipelines.list(space.id, listQuery(OTHER, { filter: { provider: ['managed'] } }))).items.map((v) => v.pipeline.name)).toEqual([
        'b-managed',
      ]);
      const synced = (await s.repos.pipelines.list(space.id, listQuery(OTHER, { filter: { origin: ['synced'] } }))).items[0].pipeline;
      expect(synced).toMatchObject({ origin: 'synced', managed: null, connectorId: connector.id });
    });

    it('moves to a new version only from the expected current number', async () => {
      const s = subject();
      const space = await aSpace(s);
      const { pipeline } = await storeManaged(s, space.id, 'orders');
      const next = nextOf(s, pipeline, { description: 'v2', tags: ['a', 'b'] });
      expect(await s.repos.pipelines.updateManaged(next.pipeline, 2)).toBe(false);
      expect(await s.repos.pipelines.updateManaged({ ...next.pipeline, spaceId: (await aSpace(s)).id }, 1)).toBe(false);
      await s.uow.run(async (r) => {
        expect(await r.pipelines.updateManaged(next.pipeline, 1)).toBe(true);
        await r.versions.create(next.version);
      });
      expect(await s.repos.pipelines.get(space.id, pipeline.id)).toEqual(next.pipeline);
      expect(await s.repos.pipelines.updateManaged(next.pipeline, 1)).toBe(false);
      const listed = await s.repos.versions.list(space.id, pipeline.id, page());
      expect(listed.total).toBe(2);
      expect(listed.items.map((v) => v.number)).toEqual([2, 1]);
      expect((await s.repos.versions.list(space.id, pipeline.id, page(2, 1))).items.map((v) => v.number)).toEqual([1]);
    });

    it('lets exactly one of two concurrent updates from one number win', async () => {
      const s = subject();
      const space = await aSpace(s);
      const { pipeline } = await storeManaged(s, space.id, 'orders');
      const attempt = (description: string) => {
        const next = nextOf(s, pipeline, { description });
        return s.uow
          .run(async (r) => {
            if (!(await r.pipelines.updateManaged(next.pipeline, 1))) return false;
            await r.versions.create(next.version);
            return true;
          })
          .catch((err: unknown) => err);
      };
      const results = await Promise.all([attempt('a'), attempt('b')]);
      expect(results.filter((x) => x === true)).toHaveLength(1);
      expect((await s.repos.versions.list(space.id, pipeline.id, page())).total).toBe(2);
    });

    it('refuses a second version of one number, and keeps versions to their pipeline and space', async () => {
      const s = subject();
      const space = await aSpace(s);
      const other = await aSpace(s);
      const { pipeline, version } = await storeManaged(s, space.id, 'orders');
      const again = aManaged(s, space.id, 'orders', { id: pipeline.id }).version;
      await expect(s.uow.run((r) => r.versions.create(again))).rejects.toMatchObject({ kind: 'conflict', code: 'VERSION_CONFLICT' });
      const b = await storeManaged(s, space.id, 'billing');
      expect(await s.repos.versions.get(other.id, pipeline.id, version.id)).toBeUndefined();
      expect(await s.repos.versions.get(space.id, b.pipeline.id, version.id)).toBeUndefined();
      expect(await s.repos.versions.get(space.id, pipeline.id, 'v1')).toBeUndefined();
      expect(await s.repos.versions.getByNumber(other.id, pipeline.id, 1)).toBeUndefined();
      expect((await s.repos.versions.list(other.id, pipeline.id, page())).total).toBe(0);
    });

    it('deletes a managed pipeline with its versions, watches and runs; never a synced one', async () => {
      const s = subject();
      const space = await aSpace(s);
      const user = await aUser(s);
      const connector = await aConnector(s, space.id);
      const synced = (await somePipelines(s, connector, [providerPipeline('etl')]))('etl');
      // An engine with a connector: its runs carry the connector, as synced ones do.
      const { pipeline, version } = await storeManaged(s, space.id, 'orders', { connectorId: connector.id });
      await s.repos.watches.watch(space.id, pipeline.id, user.id, T0);
      const run = aManagedRun(s, pipeline, { status: 'success' });
      await s.repos.runs.insertTriggered(run, null);
      expect(await s.repos.pipelines.deleteManaged(space.id, synced.id)).toBe(false);
      expect(await s.repos.pipelines.deleteManaged((await aSpace(s)).id, pipeline.id)).toBe(false);
      expect(await s.repos.pipelines.get(space.id, synced.id)).toBeDefined();
      expect(await s.repos.pipelines.deleteManaged(space.id, pipeline.id)).toBe(true);
      expect(await s.repos.pipelines.get(space.id, pipeline.id)).toBeUndefined();
      expect(await s.repos.versions.get(space.id, pipeline.id, version.id)).toBeUndefined();
      expect(await s.repos.runs.get(space.id, run.id)).toBeUndefined();
      expect(await s.repos.watches.isWatching(space.id, pipeline.id, user.id)).toBe(false);
      expect(await s.repos.pipelines.deleteManaged(space.id, pipeline.id)).toBe(false);
      // A new pipeline of the same name starts fresh.
      const fresh = await storeManaged(s, space.id, 'orders');
      expect((await s.repos.versions.list(space.id, fresh.pipeline.id, page())).items.map((v) => v.id)).toEqual([fresh.version.id]);
    });

    it('pauses, and schedules due managed pipelines by compare-and-set', async () => {
      const s = subject();
      const space = await aSpace(s);
      const a = (await storeManaged(s, space.id, 'a', { nextRunAt: at(1) })).pipeline;
      const b = (await storeManaged(s, space.id, 'b', { nextRunAt: at(2) })).pipeline;
      await storeManaged(s, space.id, 'c', { nextRunAt: at(30) });
      await storeManaged(s, space.id, 'd', { nextRunAt: null, schedule: null });
      expect((await s.repos.pipelines.dueManaged(at(5), 10)).map((p) => p.name)).toEqual(['a', 'b']);
      expect((await s.repos.pipelines.dueManaged(at(5), 1)).map((p) => p.name)).toEqual(['a']);
      expect(await s.repos.pipelines.setPaused(space.id, b.id, true, null, at(3))).toBe(true);
      expect(await s.repos.pipelines.setPaused((await aSpace(s)).id, b.id, false, null, at(3))).toBe(false);
      expect(await s.repos.pipelines.get(space.id, b.id)).toMatchObject({ paused: true, nextRunAt: null, updatedAt: at(3) });
      expect((await s.repos.pipelines.dueManaged(at(5), 10)).map((p) => p.name)).toEqual(['a']);
      const moves = await Promise.all([1, 2].map(() => s.repos.pipelines.advanceSchedule(space.id, a.id, at(1), at(61))));
      expect(moves.filter(Boolean)).toHaveLength(1);
      expect((await s.repos.pipelines.get(space.id, a.id))?.nextRunAt).toEqual(at(61));
      expect(await s.repos.pipelines.advanceSchedule(space.id, b.id, at(2), at(62))).toBe(false);
      expect((await s.repos.pipelines.dueManaged(at(5), 10)).map((p) => p.name)).toEqual([]);
    });
  });
}
