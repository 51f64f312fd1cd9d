import { silentLogger } from '../ports/system';
import { FakeClock, SequentialIds } from '../testing/fakes';
import { InMemoryJobQueue } from '../testing/in-memory-job-queue';
import type { Job } from './job-queue';
import { type JobHandler, Worker, type WorkerOptions } from './worker';

/** A promise a test settles by hand. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((r) => {
    open = r;
  });
  return { opened, open };
}

const OPTIONS: Partial<WorkerOptions> = { concurrency: 2, pollMs: 10, leaseMs: 60_000, graceMs: 200, retryMs: 30_000, maxAttempts: 2 };

function setup(handler: JobHandler, options: Partial<WorkerOptions> = {}) {
  const clock = new FakeClock();
  const ids = new SequentialIds();
  const queue = new InMemoryJobQueue();
  const warnings: string[] = [];
  const logger = { ...silentLogger, warn: (m: string) => void warnings.push(m) };
  const worker = new Worker(queue, { work: handler }, clock, ids, logger, { ...OPTIONS, ...options });
  const add = (key: string) => queue.enqueue({ name: 'work', key, payload: { key } }, ids.id(), clock.now());
  return { clock, ids, queue, worker, add, warnings };
}

describe('Worker', () => {
  it('runs claimed jobs with at most `concurrency` at once, and completes them', async () => {
    const gates = new Map<string, ReturnType<typeof gate>>();
    const started: string[] = [];
    const { worker, queue, add } = setup(async (job) => {
      started.push(job.key);
      const g = gate();
      gates.set(job.key, g);
      await g.opened;
      return undefined;
    });
    for (const k of ['a', 'b', 'c', 'd']) await add(k);
    await worker.poll();
    await worker.poll();
    expect(started).toEqual(['a', 'b']);
    expect(worker.active).toBe(2);
    gates.get('a')!.open();
    await new Promise((r) => setImmediate(r));
    await worker.poll();
    expect(started).toEqual(['a', 'b', 'c']);
    for (const g of gates.values()) g.open();
    await worker.idle();
    await worker.poll();
    for (const g of gates.values()) g.open();
    await worker.idle();
    expect(started).toEqual(['a', 'b', 'c', 'd']);
    expect(queue.all()).toEqual([]);
  });

  it('records a failed attempt on the job, tries again after the retry delay, and gives up after the last attempt', async () => {
    let calls = 0;
    const { worker, queue, add, clock } = setup(async () => {
      calls++;
      throw new Error('orchestrator down');
    });
    await add('a');
    await worker.poll();
    await worker.idle();
    expect(queue.all()).toMatchObject([
      { key: 'a', attempts: 1, lastError: 'orchestrator down', leaseToken: null, runAt: new Date(clock.now().getTime() + 30_000) },
    ]);
    await worker.poll();
    expect(calls).toBe(1); // not before the retry time
    clock.advance(30_000);
    await worker.poll();
    await worker.idle();
    expect(calls).toBe(2);
    expect(queue.all()).toEqual([]);
  });

  it('puts a job back for the time its handler asks', async () => {
    const { worker, queue, add, clock } = setup(async () => ({ retryAt: new Date(clock.now().getTime() + 5000) }));
    await add('a');
    await worker.poll();
    await worker.idle();
    expect(queue.all()).toMatchObject([{ key: 'a', runAt: new Date(clock.now().getTime() + 5000), leaseToken: null }]);
  });

  it('heartbeats the leases of running jobs so no one else can claim them', async () => {
    const g = gate();
    const { worker, queue, add, clock } = setup(async () => {
      await g.opened;
      return undefined;
    });
    await add('a');
    await worker.poll();
    clock.advance(50_000);
    await worker.heartbeat();
    expect(queue.all()[0].leaseUntil).toEqual(new Date(clock.now().getTime() + 60_000));
    clock.advance(20_000); // past the first lease, within the renewed one
    expect(await queue.claim(['work'], 'other', clock.now(), new Date(clock.now().getTime() + 60_000), 5)).toEqual([]);
    g.open();
    await worker.idle();
    expect(queue.all()).toEqual([]);
  });

  it('aborts a job whose lease another worker took, and leaves the job to it', async () => {
    let seen: AbortSignal | undefined;
    const { worker, queue, add, clock, warnings } = setup(
      (_job, signal) =>
        new Promise((resolve) => {
          seen = signal;
          signal.addEventListener('abort', () => resolve(undefined));
        }),
    );
    await add('a');
    await worker.poll();
    clock.advance(61_000);
    const [taken] = await queue.claim(['work'], 'other', clock.now(), new Date(clock.now().getTime() + 60_000), 1);
    await worker.heartbeat();
    await worker.idle();
    expect(seen?.reason).toBe('lease-lost');
    expect(warnings).toContain('job lease lost: another worker took it over');
    expect(queue.all()).toMatchObject([{ id: taken.id, leaseToken: 'other' }]); // neither completed nor released by the loser
  });

  it('on stop, claims nothing more and lets running jobs finish within the grace period', async () => {
    const g = gate();
    const { worker, queue, add } = setup(async () => {
      await g.opened;
      return undefined;
    });
    await add('a');
    await worker.poll();
    const stopped = worker.stop();
    await add('b');
    setTimeout(() => g.open(), 20);
    await stopped;
    await worker.poll();
    expect(queue.all()).toMatchObject([{ key: 'b', attempts: 0 }]); // a completed, b never claimed
  });

  it('after the grace period, aborts what still runs and releases it for any worker at once', async () => {
    let reason: unknown;
    const { worker, queue, add, clock } = setup(
      (_job, signal) =>
        new Promise((_resolve, reject) => {
          signal.addEventListener('abort', () => {
            reason = signal.reason;
            reject(new Error('stopped'));
          });
        }),
    );
    await add('a');
    await worker.poll();
    const t0 = Date.now();
    await worker.stop();
    expect(Date.now() - t0).toBeLessThan(OPTIONS.graceMs! + 1000); // within the grace, not after a lease
    expect(reason).toBe('shutdown');
    const [job] = queue.all();
    expect(job).toMatchObject({ key: 'a', leaseToken: null, leaseUntil: null, lastError: null }); // released, not failed
    expect(await queue.claim(['work'], 'next', clock.now(), new Date(clock.now().getTime() + 1000), 1)).toMatchObject([{ key: 'a', attempts: 2 }]);
  });

  it('releases a job whose handler ignores the abort, so the next worker need not wait for its lease', async () => {
    const { worker, queue, add } = setup(() => new Promise<undefined>(() => {}));
    await add('a');
    await worker.poll();
    await worker.stop();
    expect(queue.all()).toMatchObject([{ key: 'a', leaseToken: null }]);
  });

  it('runs its periodic tasks on every poll, and claims what they queue in the same poll', async () => {
    const ran: Job[] = [];
    const clock = new FakeClock();
    const ids = new SequentialIds();
    const queue = new InMemoryJobQueue();
    let ticks = 0;
    const worker = new Worker(queue, { work: async (job) => void ran.push(job) }, clock, ids, silentLogger, OPTIONS, [
      {
        name: 'tick',
        run: async (now) => {
          ticks++;
          await queue.enqueue({ name: 'work', key: 'from-tick', payload: {} }, ids.id(), now);
        },
      },
    ]);
    await worker.poll();
    await worker.idle();
    expect(ticks).toBe(1);
    expect(ran.map((j) => j.key)).toEqual(['from-tick']);
  });
});
