import type { Connector } from '../../connector/connector';
import { PIPELINE_STATUSES, type PipelineFilter, pipelineStatus } from '../../pipeline/pipeline';
import { PIPELINE_VIEW_FIELDS, type PipelineProjection, type PipelineViewField, project } from '../../pipeline/projection';
import { inSummaryWindow, summarize } from '../../pipeline/summary';
import type { PipelineListQuery } from '../../ports/repositories';
import { type ProviderRun, RUN_STATUSES } from '../../run/run';
import {
  aConnector,
  aSetting,
  aSpace,
  at,
  aUser,
  type ContractSubject,
  listQuery,
  type MakeRepositories,
  page,
  providerPipeline,
  providerRun,
  somePipelines,
  T0,
  useSubject,
} from './fixtures';
import { storeManaged } from './managed-contracts';

const OTHER = '00000000-0000-4000-8000-ffffffffffff';

/** PipelineRepository and WatchRepository. */
export function pipelineContracts(name: string, make: MakeRepositories) {
  describe(`${name}: pipelines from sync`, () => {
    const subject = useSubject(make);

    it('inserts provider fields with no team, criticality, last run or removal', async () => {
      const s = subject();
      const { space, connector } = await aSetting(s);
      const fields = { name: 'Daily ETL', description: 'loads', owner: 'data', tags: ['x', 'y'], schedule: '@daily', paused: true, nextRunAt: at(60) };
      const p = await somePipelines(s, connector, [providerPipeline('etl', fields)]);
      expect(await s.repos.pipelines.get(space.id, p('etl').id)).toEqual({
        id: p('etl').id,
        spaceId: space.id,
        origin: 'synced',
        connectorId: connector.id,
        provider: connector.type,
        managed: null,
        externalId: 'etl',
        ...fields,
        teamId: null,
        criticality: null,
        lastRunStatus: null,
        lastRunAt: null,
        removedAt: null,
        createdAt: T0,
        updatedAt: T0,
      });
    });

    it('is absent from another space, for an unknown id and for a non-id', async () => {
      const s = subject();
      const { space, connector, viewer } = await aSetting(s);
      const other = await aSpace(s);
      const p = await somePipelines(s, connector, [providerPipeline('etl')]);
      expect(await s.repos.pipelines.get(other.id, p('etl').id)).toBeUndefined();
      expect(await s.repos.pipelines.get(space.id, OTHER)).toBeUndefined();
      expect(await s.repos.pipelines.get(space.id, 'etl')).toBeUndefined();
      expect(await s.repos.pipelines.view(other.id, p('etl').id, viewer.id, at(-60), 7)).toBeUndefined();
      expect(await s.repos.pipelines.setTeam(other.id, p('etl').id, null, at(1))).toBe(false);
      expect(await s.repos.pipelines.setCriticality(other.id, p('etl').id, 'high', at(1))).toBe(false);
      expect(await s.repos.pipelines.setCriticality(space.id, OTHER, 'high', at(1))).toBe(false);
      expect((await s.repos.pipelines.list(other.id, listQuery(viewer.id))).total).toBe(0);
    });

    it('updates provider fields on a re-run and never touches team, criticality, id or creation time', async () => {
      const s = subject();
      const { space, connector } = await aSetting(s);
      const team = { id: s.ids.id(), spaceId: space.id, name: 'Data', createdAt: T0 };
      await s.repos.teams.create(team);
      const p = await somePipelines(s, connector, [providerPipeline('etl', { name: 'old', tags: ['a'] })]);
      expect(await s.repos.pipelines.setTeam(space.id, p('etl').id, team.id, at(1))).toBe(true);
      expect(await s.repos.pipelines.setCriticality(space.id, p('etl').id, 'critical', at(2))).toBe(true);
      await s.repos.pipelines.upsertFromProvider(
        connector,
        [providerPipeline('etl', { name: 'new', tags: ['b'], owner: 'ops', paused: true })],
        s.ids.id(),
        at(3),
      );
      const all = await s.repos.pipelines.list(space.id, listQuery(s.ids.id(), { filter: { includeRemoved: true } }));
      expect(all.total).toBe(1);
      expect(all.items[0].pipeline).toMatchObject({
        id: p('etl').id,
        name: 'new',
        tags: ['b'],
        owner: 'ops',
        paused: true,
        teamId: team.id,
        criticality: 'critical',
        createdAt: T0,
        updatedAt: at(3),
      });
    });

    it('never duplicates: repeated keys in a batch, re-runs and concurrent runs keep one pipeline per (connector, external id)', async () => {
      const s = subject();
      const { space, connector } = await aSetting(s);
      const second = await aConnector(s, space.id);
      const batch = [providerPipeline('a', { name: 'first' }), providerPipeline('b'), providerPipeline('a', { name: 'last' })];
      await s.repos.pipelines.upsertFromProvider(connector, batch, s.ids.id(), T0);
      await Promise.all([1, 2, 3].map(() => s.repos.pipelines.upsertFromProvider(connector, batch, s.ids.id(), at(1))));
      await s.repos.pipelines.upsertFromProvider(second, [providerPipeline('a')], s.ids.id(), T0);
      const all = await s.repos.pipelines.list(space.id, listQuery(s.ids.id()));
      expect(all.items.map((v) => [v.pipeline.externalId, v.pipeline.name, v.pipeline.connectorId === connector.id])).toEqual([
        ['a', 'a', false],
        ['b', 'b', true],
        ['a', 'last', true],
      ]);
    });

    it('marks the connector’s live pipelines the sync did not see as removed, and a later sighting brings them back', async () => {
      const s = subject();
      const { space, connector, viewer } = await aSetting(s);
      const other = await aConnector(s, space.id);
      const first = s.ids.id();
      const p = await somePipelines(s, connector, [providerPipeline('a'), providerPipeline('b'), providerPipeline('c')], first);
      await s.repos.pipelines.upsertFromProvider(other, [providerPipeline('z')], s.ids.id(), T0);
      const second = s.ids.id();
      await s.repos.pipelines.upsertFromProvider(connector, [providerPipeline('b')], second, at(1));
      expect(await s.repos.pipelines.markRemoved(OTHER, connector.id, second, at(2))).toBe(0);
      expect(await s.repos.pipelines.markRemoved(space.id, connector.id, second, at(2))).toBe(2);
      expect(await s.repos.pipelines.markRemoved(space.id, connector.id, second, at(3))).toBe(0);
      expect((await s.repos.pipelines.get(space.id, p('a').id))!.removedAt).toEqual(at(2));
      expect((await s.repos.pipelines.get(space.id, p('b').id))!.removedAt).toBeNull();
      const live = await s.repos.pipelines.list(space.id, listQuery(viewer.id));
      expect(live.items.map((v) => v.pipeline.externalId)).toEqual(['b', 'z']);
      expect(live.total).toBe(2);
      const all = await s.repos.pipelines.list(space.id, listQuery(viewer.id, { filter: { includeRemoved: true } }));
      expect(all.total).toBe(4);
      await s.repos.pipelines.upsertFromProvider(connector, [providerPipeline('a')], s.ids.id(), at(4));
      expect((await s.repos.pipelines.get(space.id, p('a').id))!.removedAt).toBeNull();
    });

    it('moves the last run only forward: newer or equal replaces, older does not; within a batch the newest wins', async () => {
      const s = subject();
      const { space, connector } = await aSetting(s);
      const other = await aSpace(s);
      const p = await somePipelines(s, connector, [providerPipeline('a'), providerPipeline('b')]);
      const last = async (ext: string) => {
        const x = (await s.repos.pipelines.get(space.id, p(ext).id))!;
        return [x.lastRunStatus, x.lastRunAt];
      };
      await s.repos.pipelines.noteLastRuns(space.id, connector.id, [{ pipelineExternalId: 'a', status: 'running', runAt: at(10) }]);
      expect(await last('a')).toEqual(['running', at(10)]);
      await s.repos.pipelines.noteLastRuns(space.id, connector.id, [{ pipelineExternalId: 'a', status: 'failed', runAt: at(10) }]);
      expect(await last('a')).toEqual(['failed', at(10)]);
      await s.repos.pipelines.noteLastRuns(space.id, connector.id, [{ pipelineExternalId: 'a', status: 'success', runAt: at(5) }]);
      expect(await last('a')).toEqual(['failed', at(10)]);
      await s.repos.pipelines.noteLastRuns(space.id, connector.id, [
        { pipelineExternalId: 'b', status: 'success', runAt: at(20) },
        { pipelineExternalId: 'b', status: 'failed', runAt: at(30) },
        { pipelineExternalId: 'b', status: 'queued', runAt: at(25) },
        { pipelineExternalId: 'a', status: 'queued', runAt: at(11) },
        { pipelineExternalId: 'a', status: 'running', runAt: at(11) },
        { pipelineExternalId: 'unknown', status: 'running', runAt: at(11) },
      ]);
      expect(await last('b')).toEqual(['failed', at(30)]);
      expect(await last('a')).toEqual(['running', at(11)]);
      await s.repos.pipelines.noteLastRuns(other.id, connector.id, [{ pipelineExternalId: 'a', status: 'failed', runAt: at(99) }]);
      expect(await last('a')).toEqual(['running', at(11)]);
    });
  });

  describe(`${name}: pipeline list`, () => {
    const subject = useSubject(make);

    /** Five pipelines with different fields, in two connectors (one airflow). */
    async function fleet(s: ContractSubject) {
      const { space, connector, viewer } = await aSetting(s);
      const airflowId = s.ids.id();
      const airflow: Connector = { ...connector, id: airflowId, name: 'airflow', type: 'airflow' };
      await s.repos.connectors.create(airflow);
      const team = { id: s.ids.id(), spaceId: space.id, name: 'Data', createdAt: T0 };
      await s.repos.teams.create(team);
      const p = await somePipelines(s, connector, [
        providerPipeline('m-active', { name: 'Alpha', owner: 'data', tags: ['finance', 'daily'] }),
        providerPipeline('m-paused', { name: 'Beta', paused: true, owner: 'ops' }),
        providerPipeline('m-error', { name: 'Gamma', description: 'Loads 100% of the_orders, Données École' }),
      ]);
      const q = await somePipelines(s, airflow, [providerPipeline('a-1', { name: 'Delta', owner: 'data' }), providerPipeline('a-2', { name: 'alpha lower' })]);
      await s.repos.pipelines.noteLastRuns(space.id, connector.id, [
        { pipelineExternalId: 'm-error', status: 'failed', runAt: at(-5) },
        { pipelineExternalId: 'm-paused', status: 'failed', runAt: at(-5) },
        { pipelineExternalId: 'm-active', status: 'success', runAt: at(-5) },
      ]);
      await s.repos.pipelines.setTeam(space.id, p('m-active').id, team.id, T0);
      await s.repos.pipelines.setCriticality(space.id, q('a-1').id, 'high', T0);
      await s.repos.watches.watch(space.id, q('a-2').id, viewer.id, T0);
      return { space, connector, airflow, viewer, team, p, q };
    }

    const names = async (s: ContractSubject, spaceId: string, viewerId: string, filter: PipelineFilter) =>
      (await s.repos.pipelines.list(spaceId, listQuery(viewerId, { filter }))).items.map((v) => v.pipeline.name);

    it('sorts by name (code point order) then id, and pages with totals', async () => {
      const s = subject();
      const { space, viewer } = await fleet(s);
      expect(await names(s, space.id, viewer.id, {})).toEqual(['Alpha', 'Beta', 'Delta', 'Gamma', 'alpha lower']);
      const second = await s.repos.pipelines.list(space.id, listQuery(viewer.id, { page: page(2, 2) }));
      expect(second.total).toBe(5);
      expect(second.items.map((v) => v.pipeline.name)).toEqual(['Delta', 'Gamma']);
      const beyond = await s.repos.pipelines.list(space.id, listQuery(viewer.id, { page: page(9, 2) }));
      expect(beyond).toEqual({ items: [], total: 5 });
    });

    it('totals an unfiltered list as a filtered one counts, through syncs, removals, returns, managed creates and deletes, space by space', async () => {
      const s = subject();
      const { space, connector, viewer } = await aSetting(s);
      const other = await aSpace(s, 'other-space');
      const otherConnector = await aConnector(s, other.id);
      const totals = async (spaceId: string) => {
        const plain = await s.repos.pipelines.list(spaceId, listQuery(viewer.id, { page: page(1, 1) }));
        const counted = await s.repos.pipelines.list(spaceId, listQuery(viewer.id, { filter: { origin: ['synced', 'managed'] }, page: page(1, 1) }));
        const past = await s.repos.pipelines.list(spaceId, listQuery(viewer.id, { page: page(99, 1) }));
        expect(plain.total).toBe(counted.total);
        expect(past.total).toBe(counted.total);
        return plain.total;
      };
      expect(await totals(space.id)).toBe(0);
      await somePipelines(
        s,
        connector,
        ['a', 'b', 'c', 'd'].map((x) => providerPipeline(x)),
      );
      await somePipelines(s, otherConnector, [providerPipeline('z')]);
      expect([await totals(space.id), await totals(other.id)]).toEqual([4, 1]);
      const seen = s.ids.id();
      await s.repos.pipelines.upsertFromProvider(connector, [providerPipeline('a'), providerPipeline('b')], seen, T0);
      expect(await s.repos.pipelines.markRemoved(space.id, connector.id, seen, T0)).toBe(2);
      expect(await totals(space.id)).toBe(2);
      // A re-run of the same sync, and a sighting that brings one back (and one new).
      await s.repos.pipelines.upsertFromProvider(connector, [providerPipeline('a'), providerPipeline('b')], seen, T0);
      await s.repos.pipelines.upsertFromProvider(connector, [providerPipeline('c'), providerPipeline('e')], s.ids.id(), T0);
      expect(await totals(space.id)).toBe(4);
      const made = await storeManaged(s, space.id, 'defined-here');
      expect(await totals(space.id)).toBe(5);
      await s.repos.pipelines.deleteManaged(space.id, made.pipeline.id);
      expect([await totals(space.id), await totals(other.id)]).toEqual([4, 1]);
      // A team's deletion clears it from its pipelines; a connector's deletes its pipelines.
      const team = { id: s.ids.id(), spaceId: space.id, name: 'Data', createdAt: T0 };
      await s.repos.teams.create(team);
      const a = (await s.repos.pipelines.list(space.id, listQuery(viewer.id, { page: page(1, 1) }))).items[0].pipeline;
      await s.repos.pipelines.setTeam(space.id, a.id, team.id, T0);
      await s.repos.teams.delete(space.id, team.id);
      expect(await totals(space.id)).toBe(4);
      await s.repos.connectors.delete(space.id, connector.id);
      expect([await totals(space.id), await totals(other.id)]).toEqual([0, 1]);
    });

    it('breaks ties on name by id', async () => {
      const s = subject();
      const { space, connector, viewer } = await aSetting(s);
      const other = await aConnector(s, space.id);
      await s.repos.pipelines.upsertFromProvider(other, [providerPipeline('x', { name: 'Same' })], s.ids.id(), T0);
      await s.repos.pipelines.upsertFromProvider(connector, [providerPipeline('y', { name: 'Same' })], s.ids.id(), T0);
      const ids = (await s.repos.pipelines.list(space.id, listQuery(viewer.id))).items.map((v) => v.pipeline.id);
      expect(ids).toEqual([...ids].sort());
      expect(ids).toHaveLength(2);
    });

    it('filters by provider, status, owner, criticality, team, connector and watched', async () => {
      const s = subject();
      const { space, viewer, team, airflow, connector } = await fleet(s);
      expect(await names(s, space.id, viewer.id, { provider: ['airflow'] })).toEqual(['Delta', 'alpha lower']);
      expect(await names(s, space.id, viewer.id, { status: ['paused'] })).toEqual(['Beta']);
      expect(await names(s, space.id, viewer.id, { status: ['error'] })).toEqual(['Gamma']);
      expect(await names(s, space.id, viewer.id, { status: ['active'] })).toEqual(['Alpha', 'Delta', 'alpha lower']);
      // The SQL of the filter is the core's rule (pipelineStatus), whatever the fields.
      const all = (await s.repos.pipelines.list(space.id, listQuery(viewer.id))).items.map((v) => v.pipeline);
      for (const status of PIPELINE_STATUSES) {
        expect(await names(s, space.id, viewer.id, { status: [status] })).toEqual(all.filter((x) => pipelineStatus(x) === status).map((x) => x.name));
      }
      expect(await names(s, space.id, viewer.id, { owner: 'data' })).toEqual(['Alpha', 'Delta']);
      expect(await names(s, space.id, viewer.id, { criticality: ['high'] })).toEqual(['Delta']);
      expect(await names(s, space.id, viewer.id, { teamId: team.id })).toEqual(['Alpha']);
      expect(await names(s, space.id, viewer.id, { teamId: OTHER })).toEqual([]);
      expect(await names(s, space.id, viewer.id, { connectorId: airflow.id })).toEqual(['Delta', 'alpha lower']);
      expect(await names(s, space.id, viewer.id, { connectorId: connector.id, owner: 'data' })).toEqual(['Alpha']);
      expect(await names(s, space.id, viewer.id, { watchedOnly: true })).toEqual(['alpha lower']);
      const stranger = await aUser(s);
      expect(await names(s, space.id, stranger.id, { watchedOnly: true })).toEqual([]);
      const filtered = await s.repos.pipelines.list(space.id, listQuery(viewer.id, { filter: { status: ['active'] }, page: page(1, 1) }));
      expect(filtered.total).toBe(3);
    });

    it('matches any of several values of provider, status and criticality, and ANDs the fields', async () => {
      const s = subject();
      const { space, viewer, p } = await fleet(s);
      await s.repos.pipelines.setCriticality(space.id, p('m-paused').id, 'low', T0);
      expect(await names(s, space.id, viewer.id, { status: ['paused', 'error'] })).toEqual(['Beta', 'Gamma']);
      expect(await names(s, space.id, viewer.id, { status: ['error', 'active'] })).toEqual(['Alpha', 'Delta', 'Gamma', 'alpha lower']);
      expect(await names(s, space.id, viewer.id, { status: ['active', 'paused', 'error'] })).toHaveLength(5);
      expect(await names(s, space.id, viewer.id, { provider: ['airflow', 'mock'] })).toHaveLength(5);
      expect(await names(s, space.id, viewer.id, { criticality: ['high', 'low'] })).toEqual(['Beta', 'Delta']);
      expect(await names(s, space.id, viewer.id, { criticality: ['critical', 'medium'] })).toEqual([]);
      expect(await names(s, space.id, viewer.id, { status: ['paused', 'active'], criticality: ['high', 'low'] })).toEqual(['Beta', 'Delta']);
      expect(await names(s, space.id, viewer.id, { status: ['error', 'active'], provider: ['airflow'] })).toEqual(['Delta', 'alpha lower']);
      expect(await names(s, space.id, viewer.id, { status: [], provider: [], criticality: [] })).toHaveLength(5);
      const counted = await s.repos.pipelines.list(space.id, listQuery(viewer.id, { filter: { status: ['paused', 'error'] }, page: page(1, 1) }));
      expect(counted.total).toBe(2);
    });

    it('matches q case-insensitively as literal text over name, external id, description, owner and tags', async () => {
      const s = subject();
      const { space, viewer } = await fleet(s);
      expect(await names(s, space.id, viewer.id, { q: 'ALPHA' })).toEqual(['Alpha', 'alpha lower']);
      expect(await names(s, space.id, viewer.id, { q: 'm-pa' })).toEqual(['Beta']);
      expect(await names(s, space.id, viewer.id, { q: 'the_orders' })).toEqual(['Gamma']);
      expect(await names(s, space.id, viewer.id, { q: 'OPS' })).toEqual(['Beta']);
      expect(await names(s, space.id, viewer.id, { q: 'financ' })).toEqual(['Alpha']);
      expect(await names(s, space.id, viewer.id, { q: '100%' })).toEqual(['Gamma']);
      expect(await names(s, space.id, viewer.id, { q: '%' })).toEqual(['Gamma']);
      expect(await names(s, space.id, viewer.id, { q: '_' })).toEqual(['Gamma']);
      expect(await names(s, space.id, viewer.id, { q: 'a_p' })).toEqual([]);
      expect(await names(s, space.id, viewer.id, { q: 'al%a' })).toEqual([]);
      expect(await names(s, space.id, viewer.id, { q: '\\' })).toEqual([]);
      expect(await names(s, space.id, viewer.id, { q: 'nothing like it' })).toEqual([]);
      expect(await names(s, space.id, viewer.id, { q: 'DONNÉES école' })).toEqual(['Gamma']);
      // Never across two fields: name 'Alpha' then external id 'm-active'; tags 'finance' then 'daily'.
      expect(await names(s, space.id, viewer.id, { q: 'alpham-act' })).toEqual([]);
      expect(await names(s, space.id, viewer.id, { q: 'alpha m-active' })).toEqual([]);
      expect(await names(s, space.id, viewer.id, { q: 'finance\u001fdaily' })).toEqual([]);
      expect(await names(s, space.id, viewer.id, { q: 'financedaily' })).toEqual([]);
    });

    it('tells each row whether the viewer watches it', async () => {
      const s = subject();
      const { space, viewer } = await fleet(s);
      const listed = await s.repos.pipelines.list(space.id, listQuery(viewer.id));
      expect(listed.items.filter((v) => v.watched).map((v) => v.pipeline.name)).toEqual(['alpha lower']);
    });

    it('summarises each pipeline’s runs in the window: counts, rate, average, p95 and last failure', async () => {
      const s = subject();
      const { space, connector, viewer } = await aSetting(s);
      const p = await somePipelines(s, connector, [providerPipeline('etl'), providerPipeline('idle'), providerPipeline('other')]);
      const since = at(-60);
      const run = (id: string, minutes: number, fields: Partial<ProviderRun>): ProviderRun => providerRun('etl', id, { startedAt: at(minutes), ...fields });
      await s.repos.runs.upsertFromProvider(
        connector,
        [
          run('s1', -50, { status: 'success', durationSeconds: 10 }),
          run('s2', -40, { status: 'success', durationSeconds: 20 }),
          run('s3', -35, { status: 'success', durationSeconds: 40 }),
          run('f1', -30, { status: 'failed', durationSeconds: 30, finishedAt: at(-29) }),
          run('f2', -20, { status: 'failed', durationSeconds: null, finishedAt: null }),
          run('r1', -10, { status: 'running', durationSeconds: null }),
          run('c1', -5, { status: 'canceled', durationSeconds: 500 }),
          run('old', -61, { status: 'failed', durationSeconds: 999, finishedAt: at(-1) }),
          providerRun('other', 'x', { startedAt: at(-10), status: 'failed', durationSeconds: 5 }),
        ],
        T0,
      );
      const listed = await s.repos.pipelines.list(space.id, listQuery(viewer.id, { since, days: 3 }));
      const byExt = new Map(listed.items.map((v) => [v.pipeline.externalId, v.summary]));
      // Durations of finished (success or failed) runs: 10, 20, 30, 40. p95 rank = 0.95 * 3 = 2.85,
      // so 30 + 0.85 * (40 - 30) = 38.5. f2 failed at its start (no finish time): -20 > -29.
      expect(byExt.get('etl')).toEqual({
        days: 3,
        runs: 7,
        succeeded: 3,
        failed: 2,
        successRate: 3 / 5,
        avgDurationSeconds: expect.closeTo(25, 9),
        p95DurationSeconds: expect.closeTo(38.5, 9),
        lastFailureAt: at(-20),
      });
      expect(byExt.get('idle')).toEqual({
        days: 3,
        runs: 0,
        succeeded: 0,
        failed: 0,
        successRate: null,
        avgDurationSeconds: null,
        p95DurationSeconds: null,
        lastFailureAt: null,
      });
      expect(byExt.get('other')).toMatchObject({ runs: 1, failed: 1, successRate: 0, avgDurationSeconds: 5, p95DurationSeconds: 5, lastFailureAt: at(-10) });
      const view = await s.repos.pipelines.view(space.id, p('etl').id, viewer.id, since, 3);
      expect(view).toEqual({ pipeline: await s.repos.pipelines.get(space.id, p('etl').id), summary: byExt.get('etl'), watched: false });
      await s.repos.watches.watch(space.id, p('etl').id, viewer.id, T0);
      expect((await s.repos.pipelines.view(space.id, p('etl').id, viewer.id, since, 3))!.watched).toBe(true);
      const wide = await s.repos.pipelines.view(space.id, p('etl').id, viewer.id, at(-120), 30);
      expect(wide!.summary).toMatchObject({ runs: 8, failed: 3, lastFailureAt: at(-1), avgDurationSeconds: expect.closeTo((10 + 20 + 30 + 40 + 999) / 5, 9) });
    });
  });

  describe(`${name}: summaries as the core defines them`, () => {
    const subject = useSubject(make);

    it('agrees with summarize() over the runs in each window, for runs of every status and shape', async () => {
      const s = subject();
      const { space, connector, viewer } = await aSetting(s);
      const p = await somePipelines(s, connector, [providerPipeline('a'), providerPipeline('b'), providerPipeline('c')]);
      const runs: ProviderRun[] = [];
      for (let i = 0; i < 60; i++) {
        const startedAt = i % 11 === 3 ? null : at(-3 * i);
        runs.push(
          providerRun(['a', 'b'][i % 2], `r${i}`, {
            status: RUN_STATUSES[(i * 7) % RUN_STATUSES.length],
            startedAt,
            queuedAt: at(-3 * i - 1),
            finishedAt: i % 3 === 1 || startedAt === null ? null : at(-3 * i + 2),
            durationSeconds: i % 6 === 0 ? null : ((i * 37) % 101) + 0.25,
          }),
        );
      }
      await s.repos.runs.upsertFromProvider(connector, runs, T0);
      for (const [since, days] of [
        [at(-30), 1],
        [at(-100), 2],
        [at(-1000), 30],
      ] as const) {
        for (const ext of ['a', 'b', 'c']) {
          const stored = (await s.repos.runs.listForPipeline(space.id, p(ext).id, {}, page(1, 500))).items;
          const expected = summarize(
            stored.filter((r) => inSummaryWindow(r, since)),
            days,
          );
          const view = (await s.repos.pipelines.view(space.id, p(ext).id, viewer.id, since, days))!;
          expect(view.summary).toEqual({
            ...expected,
            avgDurationSeconds: expected.avgDurationSeconds === null ? null : expect.closeTo(expected.avgDurationSeconds, 9),
            p95DurationSeconds: expected.p95DurationSeconds === null ? null : expect.closeTo(expected.p95DurationSeconds, 9),
          });
          const listed = (await s.repos.pipelines.list(space.id, listQuery(viewer.id, { since, days }))).items.find((v) => v.pipeline.id === p(ext).id)!;
          expect(listed.summary).toEqual(view.summary);
        }
      }
    });
  });

  describe(`${name}: the list rendered as JSON`, () => {
    const subject = useSubject(make);

    /** Every field, flat, and each group nested: what any projection can ask for. */
    const EVERY_FIELD: PipelineProjection = {
      ...Object.fromEntries(Object.keys(PIPELINE_VIEW_FIELDS).map((f) => [`k ${f}`, f as PipelineViewField])),
      'the summary': pickFields('summary.'),
      "it's version": pickFields('currentVersion.'),
    };
    function pickFields(prefix: string): PipelineProjection {
      return Object.fromEntries(
        Object.keys(PIPELINE_VIEW_FIELDS)
          .filter((f) => f.startsWith(prefix))
          .map((f) => [f.slice(prefix.length), f as PipelineViewField]),
      );
    }

    /** The rendered page is the listed page, each view projected, with the same total. */
    async function expectRenderedAsListed(s: ContractSubject, spaceId: string, query: PipelineListQuery, projection = EVERY_FIELD) {
      const listed = await s.repos.pipelines.list(spaceId, query);
      const rendered = await s.repos.pipelines.listRendered(spaceId, query, projection);
      expect(JSON.parse(rendered.json)).toEqual(listed.items.map((v) => project(projection, v)));
      expect(rendered.total).toBe(listed.total);
      return listed;
    }

    it('renders every field of synced and managed pipelines as project() does, summaries, watches and filters included', async () => {
      const s = subject();
      const { space, connector, viewer } = await aSetting(s);
      const p = await somePipelines(s, connector, [
        providerPipeline('a', { description: 'quotes " and \\ and ünïcode', tags: ['x', 'y z'], nextRunAt: at(7), paused: true }),
        providerPipeline('b', { owner: null, tags: [] }),
        providerPipeline('c'),
      ]);
      await storeManaged(s, space.id, 'managed-one', { description: 'defined here' });
      const runs: ProviderRun[] = [];
      for (let i = 0; i < 40; i++) {
        runs.push(
          providerRun(['a', 'b'][i % 2], `r${i}`, {
            status: RUN_STATUSES[(i * 5) % RUN_STATUSES.length],
            startedAt: at(-4 * i),
            finishedAt: i % 3 === 0 ? null : at(-4 * i + 3),
            durationSeconds: i % 5 === 0 ? null : ((i * 29) % 97) + 0.125,
          }),
        );
      }
      await s.repos.runs.upsertFromProvider(connector, runs, T0);
      await s.repos.pipelines.noteLastRuns(space.id, connector.id, [{ pipelineExternalId: 'b', status: 'failed', runAt: at(-4) }]);
      await s.repos.pipelines.setCriticality(space.id, p('c').id, 'critical', T0);
      await s.repos.watches.watch(space.id, p('b').id, viewer.id, T0);
      for (const [since, days] of [
        [at(-30), 1],
        [at(-1000), 30],
      ] as const) {
        const all = await expectRenderedAsListed(s, space.id, listQuery(viewer.id, { since, days }));
        expect(all.items).toHaveLength(4);
      }
      await expectRenderedAsListed(s, space.id, listQuery(viewer.id, { filter: { status: ['error'] } }));
      await expectRenderedAsListed(s, space.id, listQuery(viewer.id, { filter: { q: 'ünï' } }));
      await expectRenderedAsListed(s, space.id, listQuery(viewer.id, { filter: { watchedOnly: true } }));
      await expectRenderedAsListed(s, space.id, listQuery(viewer.id, { page: page(2, 3) }));
      // Past the end: no items, the total all the same.
      const past = await s.repos.pipelines.listRendered(space.id, listQuery(viewer.id, { page: page(9, 3) }), EVERY_FIELD);
      expect(past).toEqual({ json: '[]', total: 4, version: await s.repos.pipelines.dataVersion(space.id) });
      expect(await s.repos.pipelines.listRendered(OTHER, listQuery(viewer.id), EVERY_FIELD)).toEqual({ json: '[]', total: 0, version: expect.any(String) });
      // Some fields only, in the projection's order.
      const few: PipelineProjection = { name: 'name', id: 'id', s: { runs: 'summary.runs' } };
      const some = await s.repos.pipelines.listRendered(space.id, listQuery(viewer.id), few);
      expect(JSON.parse(some.json).map((o: object) => Object.keys(o))).toEqual([...Array(4)].map(() => ['name', 'id', 's']));
      // A projection that reads no summary (a store may skip computing them) renders all the same.
      const noSummary: PipelineProjection = { name: 'name', watched: 'watched', status: 'status', v: pickFields('currentVersion.') };
      await expectRenderedAsListed(s, space.id, listQuery(viewer.id, { since: at(-1000), days: 30 }), noSummary);
      await expectRenderedAsListed(s, space.id, listQuery(viewer.id, { filter: { q: 'a' } }), noSummary);
      await expectRenderedAsListed(s, space.id, listQuery(viewer.id, { filter: { watchedOnly: true } }), noSummary);
    });
  });

  describe(`${name}: the data version of a space's lists`, () => {
    const subject = useSubject(make);

    it('changes with every write to its pipelines, runs, versions and watches, never with reads or with another space', async () => {
      const s = subject();
      const { space, connector, viewer } = await aSetting(s);
      const other = await aSpace(s, 'elsewhere');
      const otherConnector = await aConnector(s, other.id);
      const versions: string[] = [];
      /** The version after a write: another than before it (a write that undoes another may give an earlier one back), and what a rendered page carries. */
      const changed = async () => {
        const v = await s.repos.pipelines.dataVersion(space.id);
        expect(v).not.toBe(versions[versions.length - 1]);
        expect((await s.repos.pipelines.listRendered(space.id, listQuery(viewer.id), { id: 'id' })).version).toBe(v);
        versions.push(v);
      };
      const unchanged = async () => expect(await s.repos.pipelines.dataVersion(space.id)).toBe(versions[versions.length - 1]);
      await changed();
      const p = await somePipelines(s, connector, [providerPipeline('a'), providerPipeline('b')]);
      await changed();
      await s.repos.pipelines.list(space.id, listQuery(viewer.id));
      await s.repos.pipelines.view(space.id, p('a').id, viewer.id, at(-60), 1);
      await unchanged();
      await somePipelines(s, otherConnector, [providerPipeline('z')]);
      await s.repos.runs.upsertFromProvider(otherConnector, [providerRun('z', 'r1', { startedAt: at(-1) })], T0);
      await unchanged();
      await s.repos.runs.upsertFromProvider(connector, [providerRun('a', 'r1', { startedAt: at(-1), status: 'running' })], T0);
      await changed();
      await s.repos.runs.upsertFromProvider(connector, [providerRun('a', 'r1', { startedAt: at(-1), status: 'success', durationSeconds: 3 })], T0);
      await changed();
      await s.repos.watches.watch(space.id, p('b').id, viewer.id, T0);
      await changed();
      await s.repos.watches.unwatch(space.id, p('b').id, viewer.id);
      await changed();
      await s.repos.pipelines.setCriticality(space.id, p('b').id, 'high', T0);
      await changed();
      const made = await storeManaged(s, space.id, 'defined-here');
      await changed();
      // A version alone (the pipeline row untouched) is a change too.
      await s.repos.versions.create({ ...made.version, id: s.ids.id(), number: 2 });
      await changed();
      expect(await s.repos.pipelines.dataVersion(OTHER)).toEqual(expect.any(String));
    });
  });

  describe(`${name}: watches`, () => {
    const subject = useSubject(make);

    it('watches and unwatches idempotently, one user at a time', async () => {
      const s = subject();
      const { space, connector } = await aSetting(s);
      const p = await somePipelines(s, connector, [providerPipeline('etl')]);
      const [u1, u2] = [await aUser(s), await aUser(s)];
      await s.repos.watches.watch(space.id, p('etl').id, u2.id, T0);
      await s.repos.watches.watch(space.id, p('etl').id, u2.id, at(1));
      await s.repos.watches.watch(space.id, p('etl').id, u1.id, T0);
      expect(await s.repos.watches.isWatching(space.id, p('etl').id, u1.id)).toBe(true);
      expect(await s.repos.watches.isWatching(space.id, p('etl').id, u2.id)).toBe(true);
      await s.repos.watches.unwatch(space.id, p('etl').id, u1.id);
      await s.repos.watches.unwatch(space.id, p('etl').id, u1.id);
      expect(await s.repos.watches.isWatching(space.id, p('etl').id, u1.id)).toBe(false);
      expect(await s.repos.watches.isWatching(space.id, p('etl').id, u2.id)).toBe(true);
    });

    it('treats a pipeline of another space as absent', async () => {
      const s = subject();
      const { space, connector } = await aSetting(s);
      const other = await aSpace(s);
      const p = await somePipelines(s, connector, [providerPipeline('etl')]);
      const u = await aUser(s);
      await s.repos.watches.watch(other.id, p('etl').id, u.id, T0);
      expect(await s.repos.watches.isWatching(other.id, p('etl').id, u.id)).toBe(false);
      expect(await s.repos.watches.isWatching(space.id, p('etl').id, u.id)).toBe(false);
      await s.repos.watches.watch(space.id, p('etl').id, u.id, T0);
      await s.repos.watches.unwatch(other.id, p('etl').id, u.id);
      expect(await s.repos.watches.isWatching(space.id, p('etl').id, u.id)).toBe(true);
      expect(await s.repos.watches.isWatching(other.id, p('etl').id, u.id)).toBe(false);
    });
  });
}
