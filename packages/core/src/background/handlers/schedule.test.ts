import { silentLogger } from '../../ports/system';
import { dag, runToEnd, type World, world } from '../../services/test-world';
import { SyncScheduler } from './schedule';

const MINUTE = 60_000;

/** Runs the scheduler once, then the syncs it queued to their end; resolves the records started. */
async function tick(w: World) {
  const before = new Set((await w.repos.syncs.list(w.acme.id, w.connector.id, { page: 1, perPage: 500 })).items.map((r) => r.id));
  await new SyncScheduler(w.repos.connectors, w.services.syncs, silentLogger).run(w.clock.now());
  const started = (await w.repos.syncs.list(w.acme.id, w.connector.id, { page: 1, perPage: 500 })).items.filter((r) => !before.has(r.id));
  return Promise.all(started.map((r) => runToEnd(w, r)));
}

const connector = (w: World) => w.repos.connectors.get(w.acme.id, w.connector.id).then((c) => c!);

describe('SyncScheduler', () => {
  it('never syncs a connector without an interval', async () => {
    const w = await world();
    w.clock.advance(24 * 60 * MINUTE);
    expect(await tick(w)).toEqual([]);
    expect((await connector(w)).nextSyncAt).toBeNull();
  });

  it('syncs as soon as an interval is set, then once per interval', async () => {
    const w = await world();
    w.provider.pipelineList = [dag('a')];
    await w.services.connectors.update(w.admin, 'acme', w.connector.id, { syncIntervalSeconds: 600 });
    expect(await tick(w)).toMatchObject([{ status: 'succeeded', triggeredBy: null }]);
    expect(await connector(w)).toMatchObject({ syncFailures: 0, nextSyncAt: new Date(w.clock.now().getTime() + 10 * MINUTE) });
    w.clock.advance(9 * MINUTE);
    expect(await tick(w)).toEqual([]);
    w.clock.advance(MINUTE);
    expect(await tick(w)).toHaveLength(1);
  });

  it('starts a due sync once however many schedulers see it due', async () => {
    const w = await world();
    await w.services.connectors.update(w.admin, 'acme', w.connector.id, { syncIntervalSeconds: 60 });
    // Count the claims won: the one-running-sync rule alone would also leave one sync record.
    let won = 0;
    const counting = Object.create(w.repos.connectors) as typeof w.repos.connectors;
    counting.claimScheduledSync = async (...args) => {
      const claimed = await w.repos.connectors.claimScheduledSync(...args);
      if (claimed) won++;
      return claimed;
    };
    const schedulers = [1, 2, 3, 4].map(() => new SyncScheduler(counting, w.services.syncs, silentLogger));
    await Promise.all(schedulers.map((s) => s.run(w.clock.now())));
    expect(won).toBe(1);
    expect((await w.repos.syncs.list(w.acme.id, w.connector.id, { page: 1, perPage: 10 })).total).toBe(1);
  });

  it('records a sync that cannot start as a failure, and backs off', async () => {
    const w = await world();
    await w.services.connectors.update(w.admin, 'acme', w.connector.id, { syncIntervalSeconds: 60 });
    w.uow.fail('jobs', 'enqueue', new Error('queue unavailable'));
    expect(await tick(w)).toEqual([]);
    w.uow.heal();
    expect(await connector(w)).toMatchObject({
      lastSyncStatus: 'failed',
      lastError: expect.stringContaining('queue unavailable'),
      syncFailures: 1,
      nextSyncAt: new Date(w.clock.now().getTime() + 2 * MINUTE),
    });
  });

  it('does not start a second sync in one interval for a scheduler that saw the connector due before the first ended', async () => {
    const w = await world();
    await w.services.connectors.update(w.admin, 'acme', w.connector.id, { syncIntervalSeconds: 60 });
    let open!: () => void;
    const gate = new Promise<void>((r) => {
      open = r;
    });
    const late = Object.create(w.repos.connectors) as typeof w.repos.connectors;
    late.dueForSync = async (now, limit) => {
      const due = await w.repos.connectors.dueForSync(now, limit);
      await gate; // this process read the due list, then stalled
      return due;
    };
    const stalled = new SyncScheduler(late, w.services.syncs, silentLogger).run(w.clock.now());
    expect(await tick(w)).toMatchObject([{ status: 'succeeded' }]); // another process synced meanwhile
    open();
    await stalled;
    expect((await w.repos.syncs.list(w.acme.id, w.connector.id, { page: 1, perPage: 10 })).total).toBe(1);
  });

  it('skips a due sync while one runs, without queueing a second', async () => {
    const w = await world();
    const running = await w.services.syncs.start(w.admin, 'acme', w.connector.id);
    await w.services.connectors.update(w.admin, 'acme', w.connector.id, { syncIntervalSeconds: 60 });
    expect(await tick(w)).toEqual([]);
    expect((await w.repos.syncs.list(w.acme.id, w.connector.id, { page: 1, perPage: 10 })).items.map((r) => r.id)).toEqual([running.id]);
    expect((await connector(w)).nextSyncAt).toEqual(new Date(w.clock.now().getTime() + MINUTE)); // tried again next interval
  });

  it('backs off while syncs keep failing: the interval doubles per failure, at most an hour; a success resets it', async () => {
    const w = await world();
    await w.services.connectors.update(w.admin, 'acme', w.connector.id, { syncIntervalSeconds: 300 });
    const delays: number[] = [];
    for (let i = 0; i < 6; i++) {
      w.provider.failAfter(0, 503, 'scheduler down');
      const [failed] = await tick(w);
      expect(failed).toMatchObject({ status: 'failed', error: 'memory 503: scheduler down' });
      const c = await connector(w);
      expect(c).toMatchObject({ lastError: 'memory 503: scheduler down', syncFailures: i + 1 });
      delays.push((c.nextSyncAt!.getTime() - c.lastSyncAt!.getTime()) / 1000);
      w.clock.set(c.nextSyncAt!);
    }
    expect(delays).toEqual([600, 1200, 2400, 3600, 3600, 3600]);
    const [ok] = await tick(w);
    expect(ok.status).toBe('succeeded');
    const c = await connector(w);
    expect(c).toMatchObject({ lastError: null, syncFailures: 0 });
    expect((c.nextSyncAt!.getTime() - c.lastSyncAt!.getTime()) / 1000).toBe(300);
  });
});
