import type { SyncRecord } from '../../sync/sync';
import { aConnector, aSetting, aSpace, at, type ContractSubject, type MakeRepositories, page, T0, useSubject } from './fixtures';

const OTHER = '00000000-0000-4000-8000-ffffffffffff';

const record = (s: ContractSubject, spaceId: string, connectorId: string, minutes: number): SyncRecord => ({
  id: s.ids.id(),
  spaceId,
  connectorId,
  status: 'running',
  triggeredBy: null,
  startedAt: at(minutes),
  heartbeatAt: at(minutes),
  finishedAt: null,
  counts: { pipelines: 0, removedPipelines: 0, runs: 0, taskRuns: 0 },
  error: null,
});

/** SyncRepository: one running sync per connector, heartbeats and stale takeover. */
export function syncContracts(name: string, make: MakeRepositories) {
  describe(`${name}: syncs`, () => {
    const subject = useSubject(make);

    it('starts a sync when none runs, and tells a second one the running sync', async () => {
      const s = subject();
      const { space, connector } = await aSetting(s);
      const first = record(s, space.id, connector.id, 0);
      expect(await s.repos.syncs.begin(first, at(-2))).toEqual({ started: true });
      expect(await s.repos.syncs.get(space.id, connector.id, first.id)).toEqual(first);
      const second = record(s, space.id, connector.id, 1);
      expect(await s.repos.syncs.begin(second, at(-1))).toEqual({ started: false, running: first });
      expect(await s.repos.syncs.get(space.id, connector.id, second.id)).toBeUndefined();
    });

    it('lets exactly one of many concurrent begins start', async () => {
      const s = subject();
      const { space, connector } = await aSetting(s);
      const records = [0, 0, 0, 0, 0].map(() => record(s, space.id, connector.id, 0));
      const outcomes = await Promise.all(records.map((r) => s.repos.syncs.begin(r, at(-2))));
      const started = outcomes.filter((o) => o.started);
      expect(started).toHaveLength(1);
      const winner = records[outcomes.findIndex((o) => o.started)];
      for (const o of outcomes) if (!o.started) expect(o.running).toEqual(winner);
      expect((await s.repos.syncs.list(space.id, connector.id, page())).total).toBe(1);
    });

    it('takes over a running sync whose heartbeat is older than staleBefore, marking it failed', async () => {
      const s = subject();
      const { space, connector } = await aSetting(s);
      const old = record(s, space.id, connector.id, 0);
      await s.repos.syncs.begin(old, at(-2));
      await s.repos.syncs.heartbeat(space.id, old.id, at(1), { pipelines: 5, removedPipelines: 1, runs: 2, taskRuns: 3 });
      const early = record(s, space.id, connector.id, 2);
      expect(await s.repos.syncs.begin(early, at(1))).toMatchObject({ started: false, running: { id: old.id, heartbeatAt: at(1) } });
      const late = record(s, space.id, connector.id, 10);
      expect(await s.repos.syncs.begin(late, at(5))).toEqual({ started: true });
      const abandoned = await s.repos.syncs.get(space.id, connector.id, old.id);
      expect(abandoned).toMatchObject({ status: 'failed', finishedAt: at(10), counts: { pipelines: 5, removedPipelines: 1, runs: 2, taskRuns: 3 } });
      expect(abandoned!.error).toEqual(expect.any(String));
      expect(await s.repos.syncs.get(space.id, connector.id, late.id)).toEqual(late);
      // The abandoned sync's process may still be alive: it is told it lost the lease, and cannot overwrite the verdict.
      expect(await s.repos.syncs.heartbeat(space.id, old.id, at(11), { pipelines: 9, removedPipelines: 0, runs: 0, taskRuns: 0 })).toBe(false);
      expect(await s.repos.syncs.finish({ ...old, status: 'succeeded', finishedAt: at(12) })).toBe(false);
      expect(await s.repos.syncs.get(space.id, connector.id, old.id)).toEqual(abandoned);
    });

    it('keeps connectors apart: a running sync of one does not block another', async () => {
      const s = subject();
      const { space, connector } = await aSetting(s);
      const second = await aConnector(s, space.id);
      expect(await s.repos.syncs.begin(record(s, space.id, connector.id, 0), at(-1))).toEqual({ started: true });
      expect(await s.repos.syncs.begin(record(s, space.id, second.id, 0), at(-1))).toEqual({ started: true });
    });

    it('heartbeats only a running sync in its space; finish records the outcome and frees the connector', async () => {
      const s = subject();
      const { space, connector } = await aSetting(s);
      const other = await aSpace(s);
      const r = record(s, space.id, connector.id, 0);
      await s.repos.syncs.begin(r, at(-1));
      const counts = { pipelines: 1, removedPipelines: 0, runs: 2, taskRuns: 3 };
      expect(await s.repos.syncs.heartbeat(other.id, r.id, at(9), { ...counts, runs: 99 })).toBe(false);
      expect(await s.repos.syncs.heartbeat(space.id, r.id, at(1), counts)).toBe(true);
      expect(await s.repos.syncs.get(space.id, connector.id, r.id)).toEqual({ ...r, heartbeatAt: at(1), counts });
      const done: SyncRecord = { ...r, status: 'succeeded', heartbeatAt: at(2), finishedAt: at(2), counts: { ...counts, taskRuns: 4 } };
      expect(await s.repos.syncs.finish({ ...done, spaceId: other.id, status: 'failed' })).toBe(false);
      expect(await s.repos.syncs.finish(done)).toBe(true);
      expect(await s.repos.syncs.heartbeat(space.id, r.id, at(3), { ...counts, runs: 50 })).toBe(false);
      expect(await s.repos.syncs.finish({ ...done, status: 'failed' })).toBe(false);
      expect(await s.repos.syncs.get(space.id, connector.id, r.id)).toEqual(done);
      expect(await s.repos.syncs.begin(record(s, space.id, connector.id, 3), at(2))).toEqual({ started: true });
    });

    it('gets and lists in the space and connector only, newest first with totals', async () => {
      const s = subject();
      const { space, connector } = await aSetting(s);
      const [other, second] = [await aSpace(s), await aConnector(s, space.id)];
      const records = [0, 2, 1].map((m) => record(s, space.id, connector.id, m));
      for (const r of records) {
        await s.repos.syncs.begin(r, at(-100));
        await s.repos.syncs.finish({ ...r, status: 'succeeded', finishedAt: r.startedAt });
      }
      await s.repos.syncs.begin(record(s, space.id, second.id, 5), at(-100));
      expect(await s.repos.syncs.get(other.id, connector.id, records[0].id)).toBeUndefined();
      expect(await s.repos.syncs.get(space.id, second.id, records[0].id)).toBeUndefined();
      expect(await s.repos.syncs.get(space.id, connector.id, OTHER)).toBeUndefined();
      const listed = await s.repos.syncs.list(space.id, connector.id, page(1, 2));
      expect(listed.total).toBe(3);
      expect(listed.items.map((r) => r.startedAt)).toEqual([at(2), at(1)]);
      expect((await s.repos.syncs.list(space.id, connector.id, page(2, 2))).items.map((r) => r.startedAt)).toEqual([at(0)]);
      expect(await s.repos.syncs.list(other.id, connector.id, page())).toEqual({ items: [], total: 0 });
      expect(T0).toEqual(at(0));
    });
  });
}
