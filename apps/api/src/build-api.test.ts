import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

// What `npm start` runs is a build of the sources (scripts/build-api.mjs): it must run as the
// sources do, and be built again whenever a source changes.
const ROOT = resolve(__dirname, '../../..');
const SCRIPT = join(ROOT, 'scripts', 'build-api.mjs');
const run = promisify(execFile);

describe('the build npm start runs', () => {
  let dir: string;
  let out: string;
  const build = (...args: string[]) => run(process.execPath, [SCRIPT, '--out', out, ...args], { cwd: ROOT });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sbx-build-'));
    out = join(dir, 'main.js');
    await build();
  }, 60_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is built again only when a source is newer than it', async () => {
    const before = statSync(out).mtimeMs;
    expect((await build('--if-stale')).stderr).toContain('is up to date');
    expect(statSync(out).mtimeMs).toBe(before);

    const source = join(ROOT, 'packages', 'core', 'src', 'common.ts');
    const { atime, mtime } = statSync(source);
    try {
      const later = new Date(before + 60_000);
      utimesSync(source, later, later);
      expect((await build('--if-stale')).stderr).toContain('built');
      expect(statSync(out).mtimeMs).toBeGreaterThan(before);
    } finally {
      utimesSync(source, atime, mtime);
    }
  }, 60_000);

  it('is built again when it was built in another folder (it requires files by their absolute paths)', async () => {
    const text = readFileSync(out, 'utf8');
    expect(text.split('\n', 1)[0]).toBe(`// signalbox API build of ${ROOT}`);
    writeFileSync(out, text.replace(ROOT, '/some/other/checkout'));
    expect((await build('--if-stale')).stderr).toContain('built');
    expect(readFileSync(out, 'utf8').split('\n', 1)[0]).toBe(`// signalbox API build of ${ROOT}`);
  }, 60_000);

  it('starts the API on the embedded database, demo and its managed run included, as the sources do', async () => {
    const data = join(dir, 'data');
    const child = spawn(process.execPath, ['--enable-source-maps', out], {
      cwd: ROOT,
      env: { ...process.env, SIGNALBOX_DATA_DIR: data, PORT: '0', LOG_LEVEL: 'warn', DATABASE_URL: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (b) => {
      output += b;
    });
    child.stderr.on('data', (b) => {
      output += b;
    });
    try {
      const url = await new Promise<string>((ok, fail) => {
        const timer = setInterval(() => {
          const m = /Signalbox API on (http:\/\/\S+)/.exec(output);
          if (m) {
            clearInterval(timer);
            ok(m[1]);
          }
        }, 50);
        child.once('exit', (code) => {
          clearInterval(timer);
          fail(new Error(`exited with ${code}: ${output}`));
        });
      });
      expect((await fetch(`${url}/health/ready`)).status).toBe(200);
      const key = readFileSync(join(data, 'demo-admin.key'), 'utf8').trim();
      const get = (path: string) => fetch(`${url}/api/v1.0/spaces/demo${path}`, { headers: { Authorization: `Bearer ${key}` } });
      const [managed] = (await (await get('/orchestration/pipelines?origin=managed')).json()) as { id: string }[];
      // The run the demo started at start-up ran on the embedded warehouse's thread (a file found beside its source).
      let statuses: string[] = [];
      for (let i = 0; i < 150 && !statuses.some((s) => s === 'success' || s === 'failed'); i++) {
        if (i > 0) await new Promise((ok) => setTimeout(ok, 200));
        statuses = ((await (await get(`/orchestration/pipelines/${managed.id}/runs`)).json()) as { status: string }[]).map((r) => r.status);
      }
      expect(statuses).toContain('success');
      // The console's build and the reference page's bundle are found from the built file too.
      expect((await fetch(`${url}/docs`)).status).toBe(200);
      expect([200, 503]).toContain((await fetch(`${url}/ui/`)).status);
    } finally {
      const exited = new Promise((ok) => child.once('exit', ok));
      child.kill('SIGTERM');
      await exited;
    }
  }, 90_000);
});
