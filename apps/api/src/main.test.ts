import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { DEMO_FLEET, DEMO_KEY_FILE } from './demo';
import { type Running, start } from './main';
import { T } from './tokens';

jest.setTimeout(60_000);

const sink = () =>
  new Writable({
    write(_c, _e, done) {
      done();
    },
  });

describe('start (npm start)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'signalbox-start-'));
  const env = { SIGNALBOX_DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'error' };
  const boot = async (extra: NodeJS.ProcessEnv = {}) => {
    const printed: string[] = [];
    const running = await start({
      env: { ...env, ...extra },
      print: (t) => printed.push(t),
      logStream: sink(),
    });
    return { running, printed: printed.join('\n') };
  };
  let running: Running | undefined;

  afterAll(async () => {
    await running?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves the demo space on a fresh data folder and prints a working key and curl line', async () => {
    const first = await boot();
    running = first.running;
    const key = readFileSync(join(dataDir, DEMO_KEY_FILE), 'utf8').trim();
    expect(key).toMatch(/^sbx_/);
    expect(first.printed).toContain(key);
    expect(running.demo?.curl).toBe(`curl -H "Authorization: Bearer ${key}" "${running.url}/api/v1.0/spaces/demo/orchestration/pipelines?per_page=5"`);
    expect(first.printed).toContain(running.demo!.curl);

    const url = /"(http[^"]+)"$/.exec(running.demo!.curl)![1];
    const res = await fetch(url, { headers: { Authorization: `Bearer ${key}` } });
    expect(res.status).toBe(200);
    // The mock fleet, and the demo's managed pipeline.
    expect(res.headers.get('x-total-count')).toBe(String(DEMO_FLEET.pipelines + 1));
    const pipelines = (await res.json()) as { summary: { runs: number } }[];
    expect(pipelines).toHaveLength(5);
    const runs = await fetch(`${running.url}/api/v1.0/spaces/demo/connectors`, { headers: { Authorization: `Bearer ${key}` } });
    expect(((await runs.json()) as { last_sync_status: string }[])[0].last_sync_status).toBe('succeeded');
    expect((await fetch(`${running.url}/health/ready`)).status).toBe(200);

    // The banner names the console and the reference page; the metrics saw the demo's sync and run.
    expect(first.printed).toMatch(new RegExp(`^Console: ${running.url}/ui\\b`, 'm'));
    expect(first.printed).toContain(`API reference: ${running.url}/docs`);
    expect((await fetch(`${running.url}/docs`)).status).toBe(200);
    const metrics = await (await fetch(`${running.url}/metrics`)).text();
    expect(metrics).toMatch(/^signalbox_syncs_total\{outcome="succeeded"\} [1-9]/m);
    expect(metrics).toMatch(/^signalbox_managed_runs_total\{outcome="success",engine="embedded"\} 1$/m);
    expect(metrics).toMatch(/^signalbox_http_requests_total\{method="GET",route="\/api\/v1\.0\/spaces\/\{slug\}\/connectors",status="200"\} 1$/m);
    expect(metrics).toMatch(/^process_resident_memory_bytes \d/m);
    expect(metrics).not.toContain('signalbox_db_pool'); // embedded PGlite: no pool

    // The managed pipeline ran once at start: a newcomer sees its steps and rows at once.
    const managed = await fetch(`${running.url}/api/v1.0/spaces/demo/orchestration/pipelines?origin=managed`, { headers: { Authorization: `Bearer ${key}` } });
    const [analytics] = (await managed.json()) as { id: string; name: string }[];
    expect(analytics.name).toBe('user-analytics');
    const runsRes = await fetch(`${running.url}/api/v1.0/spaces/demo/orchestration/pipelines/${analytics.id}/runs`, {
      headers: { Authorization: `Bearer ${key}` },
    });
    const [demoRun] = (await runsRes.json()) as { id: string; status: string; rows_loaded: number }[];
    expect(demoRun).toMatchObject({ status: 'success', rows_loaded: 50 });
    const detail = (await (
      await fetch(`${running.url}/api/v1.0/spaces/demo/orchestration/runs/${demoRun.id}`, { headers: { Authorization: `Bearer ${key}` } })
    ).json()) as {
      task_runs: { task_id: string; rows: number }[];
    };
    expect(detail.task_runs.map((t) => [t.task_id, t.rows])).toEqual([
      ['events', 1000],
      ['user_activity', 50],
      ['analytics.user_activity', 50],
    ]);
  });

  it('finishes a request in flight, and the sync it waits for, before it closes the server and the database', async () => {
    const key = readFileSync(join(dataDir, DEMO_KEY_FILE), 'utf8').trim();
    const headers = { Authorization: `Bearer ${key}` };
    const [connector] = (await (await fetch(`${running!.url}/api/v1.0/spaces/demo/connectors`, { headers })).json()) as { id: string }[];
    running!.container.get(T.mockProviders).instance(connector.id)!.setLatency(300); // the demo's sync made it; slow enough to be running at the stop
    const slow = fetch(`${running!.url}/api/v1.0/spaces/demo/orchestration/connectors/${connector.id}/sync?wait=true`, { method: 'POST', headers });
    // Stop once the worker has claimed the sync: one queued but not yet claimed stays for the next process.
    const repos = await running!.container.getAsync(T.repositories);
    for (let claimed = false; !claimed; ) {
      await new Promise((r) => setTimeout(r, 50));
      const syncs = (await (await fetch(`${running!.url}/api/v1.0/spaces/demo/connectors/${connector.id}/syncs?per_page=1`, { headers })).json()) as {
        id: string;
      }[];
      claimed = syncs[0]?.id !== undefined && ((await repos.jobs.get(`sync:${syncs[0].id}`))?.leaseToken ?? null) !== null;
    }
    const stopped = running!.stop();
    const res = await slow;
    expect(res.status).toBe(200);
    expect(((await res.json()) as { status: string }).status).toBe('succeeded');
    await stopped;
    await expect(fetch(`${running!.url}/health/live`)).rejects.toThrow();
  });

  it('restarts on the same data folder with the same key and leaves the demo as it is', async () => {
    const key = readFileSync(join(dataDir, DEMO_KEY_FILE), 'utf8').trim();
    const again = await boot();
    running = again.running;
    expect(again.printed).toContain(key);
    const res = await fetch(`${running.url}/api/v1.0/spaces/demo/connectors`, { headers: { Authorization: `Bearer ${key}` } });
    expect(res.headers.get('x-total-count')).toBe('1');
    await running.stop();
  });

  it('with SIGNALBOX_ADMIN_API_KEY, the demo belongs to that key and the banner never prints it', async () => {
    const adminKey = 'sbx_operator_key_0123456789abcdefghij';
    const withKey = await boot({ SIGNALBOX_ADMIN_API_KEY: adminKey });
    running = withKey.running;
    expect(withKey.printed).not.toContain(adminKey);
    expect(withKey.printed).toContain('$SIGNALBOX_ADMIN_API_KEY');
    const res = await fetch(`${running.url}/api/v1.0/me`, { headers: { Authorization: `Bearer ${adminKey}` } });
    expect(((await res.json()) as { instance_admin: boolean }).instance_admin).toBe(true);
    await running.stop();
    running = undefined;
  });
});

describe('the server process', () => {
  let child: ChildProcess | undefined;
  afterEach(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
  });

  it('stops on SIGTERM: closes the server and the database, exits 0', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'signalbox-proc-'));
    try {
      const root = resolve(__dirname, '../../..');
      child = spawn(process.execPath, ['--import', 'tsx', 'apps/api/src/main.ts'], {
        cwd: root,
        env: { ...process.env, SIGNALBOX_DATA_DIR: dataDir, PORT: '0', SIGNALBOX_DEMO: '0', LOG_LEVEL: 'info' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const lines: string[] = [];
      let stderr = '';
      child.stderr!.on('data', (d) => (stderr += String(d)));
      const url = await new Promise<string>((resolveUrl, reject) => {
        child!.stdout!.on('data', (d) => {
          for (const line of String(d).split('\n').filter(Boolean)) {
            lines.push(line);
            if (line.includes('"listening"')) resolveUrl(JSON.parse(line).url);
          }
        });
        child!.on('exit', (code) => reject(new Error(`exited ${code}: ${stderr}`)));
      });
      expect((await fetch(`${url}/health/ready`)).status).toBe(200);
      const exited = new Promise<number | null>((r) => child!.on('exit', (code) => r(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      const messages = lines.map((l) => JSON.parse(l).message);
      expect(messages).toEqual(expect.arrayContaining(['database ready', 'listening', 'shutting down', 'stopped']));
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
