import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateFleet } from '@signalbox/provider-mock';
import pg from 'pg';
import { logged, type Proc, sleep, spawnProcess, until } from './test-processes';
import { freshDatabase } from './test-support';

jest.setTimeout(180_000);

const KEY = 'sbx_background_test_key_0123456789abcdef';
const LEASE_S = 4;
const GRACE_S = 3;
// A slow orchestrator: every page waits, and even an incremental sync lists the 5 pages of pipelines
// again, so each sync lasts seconds (the first about 12) and can be killed mid-way.
const FLEET = { pipelines: 30, runs_per_pipeline: 1, seed: 5, page_cap: 6, page_delay_ms: 400 };
const INTERVAL_S = 10;
const OBSERVE_MS = 60_000;

describe('background work across processes on one PostgreSQL', () => {
  let database: { url: string; drop(): Promise<void> };
  let db: pg.Client;
  const procs: Proc[] = [];
  const dirs: string[] = [];

  const env = () => {
    const dir = mkdtempSync(join(tmpdir(), 'signalbox-bg-'));
    dirs.push(dir);
    return {
      DATABASE_URL: database.url,
      SIGNALBOX_SECRET_KEY: 'background-test-secret-0123',
      SIGNALBOX_ADMIN_API_KEY: KEY,
      SIGNALBOX_DATA_DIR: dir,
      SIGNALBOX_DEMO: '0',
      SIGNALBOX_LEASE_SECONDS: String(LEASE_S),
      SIGNALBOX_SHUTDOWN_GRACE_SECONDS: String(GRACE_S),
      DATABASE_POOL_SIZE: '3',
      PORT: '0',
      LOG_LEVEL: 'info',
    };
  };

  beforeAll(async () => {
    database = await freshDatabase('background');
    db = new pg.Client({ connectionString: database.url });
    await db.connect();
  });

  afterAll(async () => {
    for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    await db?.end();
    await database?.drop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('syncs on schedule, once at a time, takes over a killed process and hands work on at SIGTERM', async () => {
    const a = spawnProcess('a', 'main', env());
    procs.push(a);
    await until('a to listen', () => a.url, 120_000);
    const b = spawnProcess('b', 'main', env());
    procs.push(b);
    await until('b to listen', () => b.url, 120_000);

    const api = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${a.url}/api/v1.0${path}`, {
        method,
        headers: { Authorization: `Bearer ${KEY}`, 'Content-Type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: res.status, body: (await res.json()) as any };
    };
    expect((await api('POST', '/spaces', { slug: 'bg', name: 'Background' })).status).toBe(201);
    const created = await api('POST', '/spaces/bg/connectors', { name: 'slow', type: 'mock', config: FLEET, sync_interval_seconds: INTERVAL_S });
    expect(created.status).toBe(201);
    const connectorId = created.body.id as string;
    const t0 = Date.now();
    // Read from the database: the API processes are the ones being stopped.
    const syncRecord = async (id: string) => (await db.query('SELECT status, error FROM syncs WHERE id = $1', [id])).rows[0];

    const started = () =>
      procs.flatMap((p) => logged(p, 'sync started').map((l) => ({ proc: p, at: l.seen as number, syncId: l.syncId as string }))).sort((x, y) => x.at - y.at);
    const succeeded = () => procs.flatMap((p) => logged(p, 'sync succeeded'));

    // Scheduled syncs happen by themselves.
    await until('two scheduled syncs', () => succeeded().length >= 2, 40_000);

    // kill -9 the process running the next sync, mid-way through it.
    const before = started().length;
    const victim = await until('the next sync to start', () => started()[before], 30_000);
    await sleep(1000);
    expect(logged(victim.proc, 'sync succeeded').some((l) => l.syncId === victim.syncId)).toBe(false);
    victim.proc.child.kill('SIGKILL');
    await victim.proc.exited;
    const killedAt = Date.now();
    // A worker-only process (npm run worker) joins the survivor.
    const c = spawnProcess('c', 'worker-main', env());
    procs.push(c);

    // The survivor (or the newcomer) continues after the lease; the killed sync's record is marked abandoned.
    const takeover = await until('a sync continuing the killed one', () => started().find((s) => s.at > killedAt && s.proc !== victim.proc), 60_000);
    expect(takeover.at - killedAt).toBeGreaterThanOrEqual(0);
    await until('the takeover to succeed', () => succeeded().some((l) => l.syncId === takeover.syncId), 60_000);
    const killed = await syncRecord(victim.syncId);
    expect(killed).toMatchObject({ status: 'failed', error: expect.stringMatching(/abandoned/) });

    // SIGTERM the process running the next sync: it exits within the grace period, the sync finishes or goes on elsewhere.
    const count = started().length;
    const termed = await until(
      'a sync on a process that can be stopped',
      () =>
        started()
          .slice(count)
          .find((s) => s.proc.child.exitCode === null),
      40_000,
    );
    // Soon after it starts: the sync (about 3 s) outlasts the part of the grace it may run before it is stopped.
    await sleep(100);
    const sentAt = Date.now();
    termed.proc.child.kill('SIGTERM');
    const exit = await termed.proc.exited;
    expect(exit.code).toBe(0);
    expect(exit.at - sentAt).toBeLessThan((GRACE_S + 2) * 1000); // the grace, and the process's own teardown
    const afterTerm = await syncRecord(termed.syncId);
    if (afterTerm.status !== 'succeeded') {
      expect(afterTerm).toMatchObject({ status: 'failed', error: expect.stringMatching(/interrupted/) });
      // Released, not left to expire: another process continues it before the job's lease could have run out.
      const resumed = await until('the interrupted sync to continue', () => started().find((s) => s.at > exit.at), (LEASE_S - 1) * 1000);
      await until('the continued sync to succeed', () => succeeded().some((l) => l.syncId === resumed.syncId), 60_000);
    }

    // Keep observing to the end of the minute.
    await sleep(Math.max(0, OBSERVE_MS - (Date.now() - t0)));

    const { rows: syncs } = await db.query<{ id: string; status: string; started_at: Date; finished_at: Date | null; error: string | null }>(
      'SELECT id, status, started_at, finished_at, error FROM syncs WHERE connector_id = $1 ORDER BY started_at, id',
      [connectorId],
    );
    expect(syncs.filter((s) => s.status === 'succeeded').length).toBeGreaterThanOrEqual(4);
    // Never two at once: each sync ended before the next one started.
    for (let i = 1; i < syncs.length; i++) {
      expect(syncs[i - 1].finished_at).not.toBeNull();
      expect(syncs[i - 1].finished_at!.getTime()).toBeLessThanOrEqual(syncs[i].started_at.getTime());
    }
    // Every sync is one the scheduler or a takeover started: none queued twice.
    expect(syncs.filter((s) => s.status === 'failed').every((s) => /abandoned|interrupted/.test(s.error ?? ''))).toBe(true);

    // Nothing duplicated: the database holds exactly the mock's fleet.
    const fleet = generateFleet({ pipelines: FLEET.pipelines, runsPerPipeline: FLEET.runs_per_pipeline, seed: FLEET.seed }, new Date(created.body.created_at));
    const count1 = async (table: string) => Number((await db.query(`SELECT count(*) AS n FROM ${table} WHERE connector_id = $1`, [connectorId])).rows[0].n);
    expect(await count1('pipelines')).toBe(fleet.pipelines.length);
    expect(await count1('runs')).toBe(fleet.runs.length);
    const taskRuns = Number(
      (await db.query('SELECT count(*) AS n FROM task_runs t JOIN runs r ON r.id = t.run_id WHERE r.connector_id = $1', [connectorId])).rows[0].n,
    );
    expect(taskRuns).toBe(fleet.taskRuns.length);
    if (process.env.BACKGROUND_TEST_REPORT) {
      const ms = (x: Date | null, y: Date | null) => (x && y ? y.getTime() - x.getTime() : null);
      process.stdout.write(
        `${JSON.stringify({
          syncs: syncs.map((x) => ({ status: x.status, ms: ms(x.started_at, x.finished_at), error: x.error })),
          takeover_after_kill_ms: takeover.at - killedAt,
          exit_after_sigterm_ms: exit.at - sentAt,
          sigterm_sync: afterTerm.status,
        })}\n`,
      );
    }
    const { rows: jobs } = await db.query('SELECT key, lease_token FROM jobs');
    expect(jobs.length).toBeLessThanOrEqual(1); // at most the sync running now
  });
});
