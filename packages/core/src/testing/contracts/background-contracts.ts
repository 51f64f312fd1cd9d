import { aConnector, aSpace, at, type MakeRepositories, useSubject } from './fixtures';

const job = (key: string, name = 'sync', runAt?: Date) => ({ name, key, payload: { key, nested: { n: 1 } }, ...(runAt ? { runAt } : {}) });

/** JobQueue: dedupe by key, exclusive claims, leases that expire into takeover, release and retry. */
export function jobQueueContracts(name: string, make: MakeRepositories) {
  describe(`${name}: job queue`, () => {
    const subject = useSubject(make);

    it('enqueues a job once per key until it is completed', async () => {
      const { repos, ids } = subject();
      const first = await repos.jobs.enqueue(job('a'), ids.id(), at(0));
      expect(first).toMatchObject({
        added: true,
        job: { key: 'a', name: 'sync', attempts: 0, leaseToken: null, runAt: at(0), payload: { key: 'a', nested: { n: 1 } } },
      });
      const again = await repos.jobs.enqueue(job('a'), ids.id(), at(1));
      expect(again).toEqual({ added: false, job: first.job });
      const [claimed] = await repos.jobs.claim(['sync'], 't1', at(1), at(3), 10);
      expect((await repos.jobs.enqueue(job('a'), ids.id(), at(1))).added).toBe(false); // running still holds the key
      expect(await repos.jobs.complete(claimed.id, 't1')).toBe(true);
      expect(await repos.jobs.get('a')).toBeUndefined();
      expect((await repos.jobs.enqueue(job('a'), ids.id(), at(2))).added).toBe(true);
    });

    it('lets one of many concurrent enqueues of a key add it', async () => {
      const { repos, ids } = subject();
      const outcomes = await Promise.all([0, 1, 2, 3, 4].map(() => repos.jobs.enqueue(job('same'), ids.id(), at(0))));
      expect(outcomes.filter((o) => o.added)).toHaveLength(1);
      const winner = outcomes.find((o) => o.added)!.job;
      for (const o of outcomes) expect(o.job.id).toBe(winner.id);
    });

    it('claims due jobs of the given names, oldest first, each for one claimer only', async () => {
      const { repos, ids } = subject();
      await repos.jobs.enqueue(job('late', 'sync', at(10)), ids.id(), at(0));
      await repos.jobs.enqueue(job('other', 'report'), ids.id(), at(0));
      for (const k of ['k2', 'k1']) await repos.jobs.enqueue(job(k, 'sync', k === 'k1' ? at(-1) : at(0)), ids.id(), at(0));
      const claimed = await repos.jobs.claim(['sync'], 't1', at(1), at(30), 10);
      expect(claimed.map((j) => j.key)).toEqual(['k1', 'k2']);
      expect(claimed[0]).toMatchObject({ leaseToken: 't1', leaseUntil: at(30), attempts: 1 });
      expect(await repos.jobs.claim(['sync'], 't2', at(2), at(4), 10)).toEqual([]);
      expect((await repos.jobs.claim(['sync', 'report'], 't3', at(10), at(12), 10)).map((j) => j.key).sort()).toEqual(['late', 'other']);
    });

    it('never gives one job to two concurrent claims', async () => {
      const { repos, ids } = subject();
      for (let i = 0; i < 12; i++) await repos.jobs.enqueue(job(`k${i}`), ids.id(), at(0));
      const batches = await Promise.all([0, 1, 2, 3, 4, 5].map((i) => repos.jobs.claim(['sync'], `t${i}`, at(1), at(3), 3)));
      const keys = batches.flat().map((j) => j.key);
      expect(new Set(keys).size).toBe(keys.length);
      expect(keys.sort()).toEqual(Array.from({ length: 12 }, (_, i) => `k${i}`).sort());
    });

    it('lets another claimer take a job whose lease expired, and fences the old holder out', async () => {
      const { repos, ids } = subject();
      await repos.jobs.enqueue(job('a'), ids.id(), at(0));
      const [mine] = await repos.jobs.claim(['sync'], 'old', at(0), at(2), 1);
      expect(await repos.jobs.heartbeat(mine.id, 'old', at(4))).toBe(true);
      expect(await repos.jobs.claim(['sync'], 'new', at(3), at(5), 1)).toEqual([]); // the heartbeat kept it
      const [taken] = await repos.jobs.claim(['sync'], 'new', at(5), at(7), 1);
      expect(taken).toMatchObject({ id: mine.id, leaseToken: 'new', attempts: 2 });
      expect(await repos.jobs.heartbeat(mine.id, 'old', at(9))).toBe(false);
      expect(await repos.jobs.complete(mine.id, 'old')).toBe(false);
      expect(await repos.jobs.fail(mine.id, 'old', 'x', null)).toBe(false);
      expect(await repos.jobs.release(mine.id, 'old')).toBe(false);
      expect(await repos.jobs.get('a')).toMatchObject({ leaseToken: 'new', leaseUntil: at(7) });
    });

    it('makes a released job claimable at once by anyone', async () => {
      const { repos, ids } = subject();
      await repos.jobs.enqueue(job('a'), ids.id(), at(0));
      const [mine] = await repos.jobs.claim(['sync'], 'one', at(0), at(10), 1);
      expect(await repos.jobs.release(mine.id, 'one')).toBe(true);
      expect(await repos.jobs.get('a')).toMatchObject({ leaseToken: null, leaseUntil: null, attempts: 1 });
      expect(await repos.jobs.claim(['sync'], 'two', at(0), at(10), 1)).toMatchObject([{ id: mine.id, attempts: 2, leaseToken: 'two' }]);
      expect(await repos.jobs.complete(mine.id, 'one')).toBe(false);
    });

    it('queues a failed job again for its retry time, or removes it', async () => {
      const { repos, ids } = subject();
      await repos.jobs.enqueue(job('a'), ids.id(), at(0));
      await repos.jobs.enqueue(job('b'), ids.id(), at(0));
      const [a, b] = await repos.jobs.claim(['sync'], 't', at(0), at(10), 2);
      expect(await repos.jobs.fail(a.id, 't', 'boom', at(5))).toBe(true);
      expect(await repos.jobs.get('a')).toMatchObject({ runAt: at(5), lastError: 'boom', leaseToken: null });
      expect(await repos.jobs.claim(['sync'], 'u', at(4), at(10), 5)).toEqual([]);
      expect(await repos.jobs.claim(['sync'], 'u', at(5), at(10), 5)).toMatchObject([{ key: 'a', attempts: 2 }]);
      expect(await repos.jobs.fail(b.id, 't', 'final', null)).toBe(true);
      expect(await repos.jobs.get('b')).toBeUndefined();
    });

    it('counts waiting and running jobs by name; a job due later or done is neither', async () => {
      const { repos, ids } = subject();
      expect(await repos.jobs.depth(at(0))).toEqual([]);
      for (const k of ['a', 'b', 'c']) await repos.jobs.enqueue(job(k), ids.id(), at(0));
      await repos.jobs.enqueue(job('later', 'sync', at(10)), ids.id(), at(0));
      await repos.jobs.enqueue(job('r', 'managed-run'), ids.id(), at(0));
      const [a, b] = await repos.jobs.claim(['sync'], 't', at(1), at(5), 2);
      await repos.jobs.complete(b.id, 't');
      expect(await repos.jobs.depth(at(2))).toEqual([
        { name: 'managed-run', waiting: 1, running: 0 },
        { name: 'sync', waiting: 1, running: 1 },
      ]);
      // Past a's lease it waits again; `later` is due.
      expect(await repos.jobs.depth(at(10))).toEqual([
        { name: 'managed-run', waiting: 1, running: 0 },
        { name: 'sync', waiting: 3, running: 0 },
      ]);
      expect(a.key).toBe('a');
    });
  });
}

/** ConnectorRepository's schedule: due connectors across spaces, and one winner per due time. */
export function syncScheduleContracts(name: string, make: MakeRepositories) {
  describe(`${name}: scheduled syncs`, () => {
    const subject = useSubject(make);

    it('lists due connectors of every space, most overdue first, and stores the schedule', async () => {
      const s = subject();
      const [one, two] = [await aSpace(s), await aSpace(s)];
      const [a, b, c, manual] = [
        await aConnector(s, one.id, 'a'),
        await aConnector(s, two.id, 'b'),
        await aConnector(s, one.id, 'c'),
        await aConnector(s, one.id, 'm'),
      ];
      const schedule = async (id: string, spaceId: string, nextSyncAt: Date | null, failures = 0) => {
        const cur = (await s.repos.connectors.get(spaceId, id))!;
        await s.repos.connectors.update({ ...cur, syncIntervalSeconds: nextSyncAt ? 60 : null, nextSyncAt });
        await s.repos.connectors.recordSync(spaceId, id, { at: at(0), status: 'failed', error: 'x', schedule: { nextSyncAt, failures } });
      };
      await schedule(a.id, one.id, at(2), 2);
      await schedule(b.id, two.id, at(1));
      await schedule(c.id, one.id, at(5));
      await schedule(manual.id, one.id, null);
      const due = await s.repos.connectors.dueForSync(at(3), 10);
      expect(due.map((x) => x.name)).toEqual(['b', 'a']);
      expect(due[1]).toMatchObject({ syncIntervalSeconds: 60, nextSyncAt: at(2), syncFailures: 2 });
      expect((await s.repos.connectors.dueForSync(at(10), 1)).map((x) => x.name)).toEqual(['b']);
      expect(await s.repos.connectors.get(one.id, manual.id)).toMatchObject({ syncIntervalSeconds: null, nextSyncAt: null });
    });

    it('lets exactly one of concurrent claims of a due time win, in its space only', async () => {
      const s = subject();
      const [space, other] = [await aSpace(s), await aSpace(s)];
      const c = await aConnector(s, space.id);
      await s.repos.connectors.update({ ...c, syncIntervalSeconds: 60, nextSyncAt: at(0) });
      expect(await s.repos.connectors.claimScheduledSync(other.id, c.id, at(0), at(1))).toBe(false);
      const wins = await Promise.all([1, 2, 3, 4, 5].map((m) => s.repos.connectors.claimScheduledSync(space.id, c.id, at(0), at(m))));
      expect(wins.filter(Boolean)).toHaveLength(1);
      const next = (await s.repos.connectors.get(space.id, c.id))!.nextSyncAt;
      expect(next).toEqual(at(wins.indexOf(true) + 1));
      expect(await s.repos.connectors.dueForSync(at(0), 10)).toEqual([]);
    });
  });
}
