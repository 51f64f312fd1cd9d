import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeStep, OUTCOME_FILE_ENV, STEP_ENV, WAREHOUSE_URL_ENV } from '@signalbox/core';
import pg from 'pg';
import { freshDatabase } from './testing/test-database';
import { aStep } from './testing/warehouse-contract';

// The command starts a Node process with tsx: seconds each on a slow machine.
jest.setTimeout(90_000);

const CLI = join(__dirname, 'step-cli.ts');

/** Runs the step command as a cluster engine's pod does: its environment, its exit status, its output. */
function runCommand(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CLI], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('the step command of cluster runs', () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let client: pg.Client;
  let dir: string;

  beforeAll(async () => {
    db = await freshDatabase('step_runner');
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
    dir = mkdtempSync(join(tmpdir(), 'signalbox-step-'));
  });
  afterAll(async () => {
    await client?.end();
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes the output with bound values, records the outcome, and writes it once when run again', async () => {
    const step = aStep({
      runId: 'run-cluster-1',
      step: 'daily',
      sql: "SELECT g AS n, $1::text AS label FROM generate_series(1, 3) g WHERE $1 <> 'x'",
      params: ["it's {{workflow.name}}"],
      output: { schema: 'analytics', name: 'daily' },
      mode: 'append',
      cursorColumn: 'n',
    });
    const outcome = join(dir, 'outcome.json');
    const env = { [STEP_ENV]: encodeStep(step), [WAREHOUSE_URL_ENV]: db.url, [OUTCOME_FILE_ENV]: outcome };

    const first = await runCommand(env);
    expect([first.code, first.stderr]).toEqual([0, '']);
    expect(JSON.parse(first.stdout)).toEqual({ rows: 3, cursor: '3', replayed: false });
    expect(JSON.parse(readFileSync(outcome, 'utf8'))).toEqual({ rows: 3, cursor: '3' });
    const { rows } = await client.query('SELECT n, label FROM analytics.daily ORDER BY n');
    expect(rows).toEqual([1, 2, 3].map((n) => ({ n, label: "it's {{workflow.name}}" })));

    // A pod run again (a retried node) finds the step in the ledger: the append is not repeated.
    const again = await runCommand(env);
    expect(JSON.parse(again.stdout)).toEqual({ rows: 3, cursor: '3', replayed: true });
    expect((await client.query('SELECT count(*)::int AS c FROM analytics.daily')).rows[0].c).toBe(3);
  });

  it('exits 1 with the database message when the step fails, and names a missing or malformed setting', async () => {
    const failing = aStep({ runId: 'run-cluster-2', step: 'bad', sql: 'SELECT 1 / 0 AS x', output: { schema: 'analytics', name: 'bad' } });
    const failed = await runCommand({ [STEP_ENV]: encodeStep(failing), [WAREHOUSE_URL_ENV]: db.url });
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/signalbox step failed \[STEP_FAILED 22012\]: .*division by zero/);

    const noUrl = await runCommand({ [STEP_ENV]: encodeStep(failing) });
    expect([noUrl.code, noUrl.stderr]).toEqual([1, expect.stringContaining('SIGNALBOX_WAREHOUSE_URL is not set')]);
    const garbled = await runCommand({ [STEP_ENV]: 'not base64 at all!', [WAREHOUSE_URL_ENV]: db.url });
    expect([garbled.code, garbled.stderr]).toEqual([1, expect.stringContaining('SIGNALBOX_STEP is not base64 of JSON')]);
    const partial = await runCommand({ [STEP_ENV]: Buffer.from(JSON.stringify({ runId: 'r' })).toString('base64'), [WAREHOUSE_URL_ENV]: db.url });
    expect(partial.stderr).toContain('SIGNALBOX_STEP: step is missing or of the wrong type');
  });
});
