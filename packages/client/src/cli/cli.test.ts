import { spawn } from 'node:child_process';
import { mkdtemp, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, slowPipeline, startServer, type TestServer } from '../testing/server';

/* The `signalbox` command as users run it (the package's bin, a real process) against a real server. */

const BIN = join(__dirname, '..', '..', 'bin', 'signalbox.mjs');
let server: TestServer;
let dir: string;

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command line to its end, stdout and stderr piped (not a terminal); `interrupt` sends SIGINT once stdout matches it, or once it resolves. */
function run(
  args: string[],
  env: Record<string, string | undefined> = {},
  command = [process.execPath, BIN],
  interrupt?: RegExp | Promise<unknown>,
): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(command[0], [...command.slice(1), ...args], {
      cwd: ROOT,
      env: { ...process.env, SIGNALBOX_URL: server.url, SIGNALBOX_API_KEY: server.key, SIGNALBOX_SPACE: undefined, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += String(d);
      if (interrupt instanceof RegExp && interrupt.test(stdout)) {
        interrupt = undefined;
        child.kill('SIGINT');
      }
    });
    child.stderr.on('data', (d) => {
      stderr += String(d);
    });
    if (interrupt instanceof Promise) void interrupt.then(() => child.kill('SIGINT'));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? -1 : null), stdout, stderr }));
  });
}

const lines = (text: string) => text.split('\n').filter(Boolean);

// Each test starts processes, and the first managed run opens the embedded warehouse.
jest.setTimeout(180_000);

beforeAll(async () => {
  [server, dir] = await Promise.all([startServer(), mkdtemp(join(tmpdir(), 'signalbox-cli-'))]);
  await writeFile(join(dir, 'slow.yaml'), slowPipeline('slow', 0.6));
  await writeFile(
    join(dir, 'broken.yaml'),
    'name: broken\nsources:\n  - name: numbers\n    query: select n from generate_series(1, 10) as g(n)\ntransforms:\n  - name: divide\n    query: select 1 / (n - n) as boom from numbers\n',
  );
  await writeFile(join(dir, 'invalid.yaml'), 'name: invalid\nsources:\n  - name: one\n    query: selec 1\n');
}, 180_000);

afterAll(async () => {
  await server?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('the signalbox command', () => {
  it('applies a YAML file, then finds it unchanged; lists and shows it', async () => {
    const file = join(ROOT, 'examples/user-analytics.yaml');
    const first = await run(['pipelines', 'apply', '-f', file]);
    expect([first.code, first.stdout, first.stderr]).toEqual([0, 'created user-analytics (version 1.0)\n', '']);
    expect((await run(['pipelines', 'apply', '-f', file])).stdout).toBe('unchanged user-analytics (version 1.0)\n');

    const list = await run(['pipelines', 'list']);
    expect(list.code).toBe(0);
    expect(lines(list.stdout)[0]).toMatch(/^NAME\s+VERSION\s+STATUS\s+SCHEDULE\s+LAST RUN\s+STARTED\s+DURATION\s+ROWS$/);
    expect(lines(list.stdout)[1]).toMatch(/^user-analytics\s+1\.0\s+active\s+0 6 \* \* \*\s+-/);
    const json = await run(['pipelines', 'get', 'user-analytics', '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ name: 'user-analytics', version: '1.0', status: 'active', last_run: null });
  });

  it('runs a pipeline with --wait: a line per change when piped, a last line with its status, exit status 0', async () => {
    await run(['pipelines', 'apply', '-f', join(dir, 'slow.yaml')]);
    const r = await run(['run', 'slow', '--wait', '--var', 'pause=0.5']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = lines(r.stdout);
    expect(out[0]).toMatch(/^run [0-9a-f-]{36} queued \(slow\)$/);
    expect(out).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^running · extract step_1 · step 1\/3 · 0 rows$/),
        expect.stringMatching(/^running · transform step_2 · step 2\/3 · 1 rows$/),
        expect.stringMatching(/^running · transform step_3 · step 3\/3 · 2 rows$/),
      ]),
    );
    expect(out.at(-1)).toMatch(/^status: success · 3\/3 steps · \d+(\.\d)? s$/);

    const detail = await fetch(`${server.url}/api/v1.0/spaces/acme/orchestration/runs/${out[0].split(' ')[1]}`, {
      headers: { Authorization: `Bearer ${server.key}` },
    });
    expect(((await detail.json()) as { options: { variables: unknown } }).options.variables).toEqual({ pause: 0.5 });

    const runs = await run(['runs', 'slow', '--limit', '1']);
    expect(lines(runs.stdout)[0]).toMatch(/^ID\s+STATUS\s+STAGE\s+STARTED\s+DURATION\s+ROWS$/);
    expect(lines(runs.stdout)[1]).toContain(out[0].split(' ')[1]);
  });

  it('ends a failed run with its error and exit status 1; --json prints the run', async () => {
    await run(['pipelines', 'apply', '-f', join(dir, 'broken.yaml')]);
    const r = await run(['run', 'broken', '--wait', '--full-refresh']);
    expect(r.code).toBe(1);
    expect(lines(r.stdout).at(-1)).toMatch(/^status: failed · 1\/2 steps · .* · STEP_FAILED in step divide: .*division by zero/);
    const json = await run(['run', 'broken', '--wait', '--json']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ status: 'failed', error: { step: 'divide' }, task_runs: [{ status: 'success' }, { status: 'failed' }] });
  });

  it('starts a run without waiting, and stops waiting at --timeout with exit status 3 (the run goes on)', async () => {
    const started = await run(['run', 'slow', '--json']);
    expect(started.code).toBe(0);
    expect(JSON.parse(started.stdout)).toMatchObject({ pipeline: 'slow', status: 'queued' });
    const waited = await run(['run', 'slow', '--wait', '--timeout', '1']);
    expect(waited.code).toBe(3);
    expect(waited.stderr).toMatch(/^still (queued|running) after 1 s: run [0-9a-f-]{36} goes on\n$/);
  });

  it('validates a definition: errors at file:line:column and exit status 1; apply refuses it the same way', async () => {
    const file = join(dir, 'invalid.yaml');
    const v = await run(['pipelines', 'validate', '-f', file]);
    expect(v.code).toBe(1);
    expect(v.stdout).toMatch(new RegExp(`^error: ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:4:\\d+: .*\\[/sources/0/query\\]`, 'm'));
    expect(lines(v.stdout).at(-1)).toBe('invalid: 1 error');
    expect((await run(['pipelines', 'validate', '-f', join(dir, 'slow.yaml')])).stdout).toMatch(/^valid: 3 steps: step_1 → step_2 → step_3$/m);
    const a = await run(['pipelines', 'apply', '-f', file]);
    expect(a.code).toBe(1);
    expect(a.stderr).toMatch(/:4:\d+: /);
    expect((await run(['pipelines', 'get', 'invalid'])).code).toBe(1);
  });

  it('syncs a connector by name with --wait, and answers API errors with their code and exit status 1', async () => {
    const created = await fetch(`${server.url}/api/v1.0/spaces/acme/connectors`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${server.key}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'fleet', type: 'mock', config: { pipelines: 2, runs_per_pipeline: 1, seed: 3 } }),
    });
    expect(created.status).toBe(201);
    const s = await run(['sync', 'fleet', '--wait', '--space', 'acme']);
    expect(s.code).toBe(0);
    expect(s.stdout).toMatch(/^status: succeeded · 2 pipelines, \d+ runs, \d+ task runs\n$/);
    const missing = await run(['pipelines', 'get', 'nope'], { SIGNALBOX_SPACE: 'acme' });
    expect([missing.code, missing.stderr]).toEqual([1, "error: PIPELINE_NOT_FOUND: pipeline 'nope' was not found\n"]);
    const json = await run(['pipelines', 'get', 'nope', '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ status: 404, error: { code: 'PIPELINE_NOT_FOUND' } });
    const space = await run(['pipelines', 'list', '--space', 'elsewhere']);
    expect([space.code, space.stderr]).toEqual([1, "error: SPACE_NOT_FOUND: space 'elsewhere' was not found\n"]);
  });

  it('stops at Ctrl-C with exit status 130: while waiting for a run (which goes on), and while a server does not answer', async () => {
    const waited = await run(['run', 'slow', '--wait'], {}, undefined, /running ·/);
    expect([waited.code, waited.stderr]).toEqual([130, expect.any(String)]);
    expect(waited.stderr).toMatch(/^stopped waiting: run [0-9a-f-]{36} goes on\n$/);
    // A server that takes the request and never answers; Ctrl-C once the request has arrived.
    let arrived: () => void = () => {};
    const asked = new Promise<void>((r) => {
      arrived = r;
    });
    const silent = createServer(() => arrived());
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
      const r = await run(['pipelines', 'list', '--space', 'acme'], { SIGNALBOX_URL: url }, undefined, asked);
      expect(r.code).toBe(130);
      expect(r.stderr).toMatch(/^interrupted: /);
    } finally {
      silent.closeAllConnections();
      silent.close();
    }
  });

  it('reads the space from SIGNALBOX_SPACE, and --space wins over it', async () => {
    const env = await run(['pipelines', 'list'], { SIGNALBOX_SPACE: 'elsewhere' });
    expect([env.code, env.stderr]).toEqual([1, "error: SPACE_NOT_FOUND: space 'elsewhere' was not found\n"]);
    expect((await run(['pipelines', 'list', '--space', 'acme'], { SIGNALBOX_SPACE: 'elsewhere' })).code).toBe(0);
  });

  it('bundles its sources again when one is newer than the bundle', async () => {
    const bundle = join(__dirname, '..', '..', 'dist', 'cli', 'signalbox.cjs');
    await run(['--help']);
    await utimes(bundle, new Date(0), new Date(0));
    expect((await run(['--help'])).code).toBe(0);
    expect((await stat(bundle)).mtimeMs).toBeGreaterThan(Date.now() - 60_000);
  });

  it('exits with status 2 on bad usage, naming what is wrong', async () => {
    const cases: [string[], Record<string, string | undefined>, RegExp][] = [
      [['frobnicate'], {}, /unknown command 'frobnicate'/],
      [['run'], {}, /missing required argument 'name'/],
      [['runs', 'slow', '--limit', '0'], {}, /--limit must be a whole number from 1/],
      [['run', 'slow', '--var', 'days'], {}, /--var "days": expected name=value/],
      [['run', 'slow', '--timeout', '5'], {}, /--timeout needs --wait/],
      [['pipelines', 'apply'], {}, /required option '-f, --file <file>' not specified/],
      [['pipelines', 'apply', '-f', join(dir, 'absent.yaml')], {}, /cannot read .*absent\.yaml: ENOENT/],
      [['pipelines', 'list'], { SIGNALBOX_API_KEY: '' }, /SIGNALBOX_API_KEY is not set/],
      [['pipelines', 'list'], { SIGNALBOX_URL: 'not a url' }, /SIGNALBOX_URL "not a url" is not a URL/],
    ];
    for (const [args, env, message] of cases) {
      const r = await run(args, env);
      expect([args.join(' '), r.code]).toEqual([args.join(' '), 2]);
      expect(r.stderr).toMatch(message);
    }
  });

  it('answers --help for every command', async () => {
    const commands = [
      [],
      ['pipelines'],
      ['pipelines', 'list'],
      ['pipelines', 'get'],
      ['pipelines', 'apply'],
      ['pipelines', 'validate'],
      ['pipelines', 'delete'],
      ['run'],
      ['runs'],
      ['sync'],
    ];
    for (const c of commands) {
      const r = await run([...c, '--help']);
      expect([c.join(' '), r.code]).toEqual([c.join(' '), 0]);
      expect(r.stdout).toContain(`Usage: signalbox${c.length ? ` ${c.join(' ')}` : ''}`);
    }
  });

  it('is on the path as npx signalbox after npm install, and deletes a pipeline', async () => {
    const r = await run(['pipelines', 'delete', 'broken'], {}, ['npx', '--no-install', 'signalbox']);
    expect([r.code, r.stdout]).toEqual([0, 'deleted broken\n']);
  });

  it('draws a live progress bar on a terminal (a pseudo-terminal from script(1))', async () => {
    const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
    const r = await run(['-qec', [process.execPath, BIN, 'run', 'slow', '--wait'].map(quote).join(' '), '/dev/null'], { TERM: 'xterm' }, ['script']);
    expect(r.code).toBe(0);
    // Redrawn in place: carriage returns or cursor movements, the bar's blocks, the steps done.
    const ESC = String.fromCharCode(27);
    expect(r.stdout.includes('\r') || r.stdout.includes(`${ESC}[`)).toBe(true);
    expect(r.stdout).toContain('█');
    expect(r.stdout).toMatch(/3\/3 steps · success/);
    expect(r.stdout).toMatch(/status: success · 3\/3 steps/);
  });
});
