import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { type Running, start } from '@signalbox/api';
import { type Browser, chromium, type Page } from 'playwright-core';

/*
 * The console in a real browser against a real server: `start()` (what `npm start` runs) on a fresh
 * embedded database with its demo space, and Debian's Chromium driven by playwright-core. Each
 * step leaves a screenshot in test-output/console/.
 */

const SHOTS = resolve(__dirname, '../../../test-output/console');
/** The samples of a Prometheus text page, read by the official Python client's parser (scripts/e2e/run.sh sets it up). */
type Sample = { family: string; type: string; name: string; labels: Record<string, string>; value: number };
function parseMetrics(text: string): Sample[] {
  const [python, script] = (process.env.PROMETHEUS_PARSER ?? '').split(' ');
  if (!python || !script) throw new Error('PROMETHEUS_PARSER is not set: run the end-to-end tests with npm run test:e2e');
  return JSON.parse(execFileSync(python, [script], { input: text, encoding: 'utf8' })) as Sample[];
}

const quiet = () => new Writable({ write: (_c, _e, done) => done() });

describe('the console in Chromium', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'signalbox-console-'));
  let server: Running;
  let browser: Browser;
  let page: Page;
  let key: string;
  const errors: string[] = [];
  const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    server = await start({ env: { SIGNALBOX_DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'error' }, logStream: quiet(), print: () => {} });
    key = server.demo?.key as string;
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu'],
    });
    page = await browser.newPage({ baseURL: server.url, viewport: { width: 1400, height: 900 } });
    // The page's own errors fail the suite at the end: a console that throws is broken even when it shows.
    page.setDefaultTimeout(15_000);
    page.on('pageerror', (err) => errors.push(err.message));
    // A script or request the page's Content-Security-Policy blocked shows only in its console.
    page.on('console', (m) => {
      if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) errors.push(m.text());
    });
    // Nothing is fetched from anywhere but the server (no CDN).
    await page.route(/^(?!http:\/\/127\.0\.0\.1:\d+\/)/, (route) => {
      errors.push(`request outside the server: ${route.request().url()}`);
      return route.abort();
    });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('asks for a key, refuses a wrong one with the API message, and signs in with the right one', async () => {
    await page.goto('/ui/');
    await page.waitForURL('**/ui/signin');
    await page.getByPlaceholder('sbx_…').fill('sbx_not_a_key');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'Could not sign in' }).waitFor();
    await shot('01-sign-in-refused');

    await page.getByPlaceholder('sbx_…').fill(key);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL('**/ui/s/demo/pipelines');
    await page.locator('table.pipelines tbody tr').first().waitFor();
    // The demo: the mock fleet and its managed pipeline, 37 in all.
    await page.getByText('37 pipelines').waitFor();
    await shot('02-pipelines');
  });

  it('filters the list, keeping the filters in the address', async () => {
    await page.getByRole('checkbox', { name: 'error' }).check();
    await page.waitForURL(/status=error/);
    await page.getByText(/Page 1 of \d+ · \d+ pipelines/).waitFor();
    const statuses = await page.locator('table.pipelines tbody tr td:nth-child(3) .badge').allTextContents();
    expect(statuses.length).toBeGreaterThan(0);
    expect(new Set(statuses)).toEqual(new Set(['error']));
    await shot('03-pipelines-status-error');

    await page.getByRole('checkbox', { name: 'error' }).uncheck();
    await page.getByRole('searchbox', { name: 'search pipelines' }).fill('no-such-pipeline-anywhere');
    await page.getByText('No pipeline matches these filters.').waitFor();
    await shot('04-pipelines-empty');
    await page.getByRole('button', { name: 'Clear the filters' }).click();
    await page.getByText('37 pipelines').waitFor();
  });

  it('watches a pipeline, and lists it among the watched only', async () => {
    const first = page.locator('table.pipelines tbody tr').first();
    const name = (await first.locator('td:nth-child(2) a').textContent()) as string;
    await first.getByRole('button', { name: `watch ${name}` }).click();
    await first.getByRole('button', { name: `stop watching ${name}` }).waitFor();
    await page.getByRole('checkbox', { name: 'Watched only' }).check();
    await page.getByText('Page 1 of 1 · 1 pipelines').waitFor();
    expect(await page.locator('table.pipelines tbody tr td:nth-child(2) a').allTextContents()).toEqual([name]);
    await page.getByRole('checkbox', { name: 'Watched only' }).uncheck();
  });

  it('sets the team and criticality of a pipeline, and filters by them', async () => {
    const first = page.locator('table.pipelines tbody tr').first();
    const name = (await first.locator('td:nth-child(2) a').textContent()) as string;
    await page.getByLabel(`team of ${name}`).selectOption({ label: 'Analytics' });
    await page.getByLabel(`criticality of ${name}`).selectOption('critical');
    await page.getByRole('checkbox', { name: 'critical' }).check();
    await page.getByText('Page 1 of 1 · 1 pipelines').waitFor();
    await page.getByLabel('team', { exact: true }).selectOption({ label: 'Analytics' });
    await page.waitForURL(/team_id=/);
    await page.getByText('Page 1 of 1 · 1 pipelines').waitFor();
    expect(await page.getByLabel(`team of ${name}`).inputValue()).not.toBe('');
    await page.goto('/ui/s/demo/pipelines');
  });

  it('opens a synced pipeline and sees its run history on the gantt timeline', async () => {
    await page.getByRole('searchbox', { name: 'search pipelines' }).fill('');
    await page.getByRole('checkbox', { name: 'synced' }).check();
    await page.waitForURL(/origin=synced/);
    await page.locator('table.pipelines tbody tr td:nth-child(2) a').first().click();
    await page.waitForURL(/\/pipelines\/[0-9a-f-]+/);
    await page.getByRole('img', { name: 'run history timeline' }).waitFor();
    const bars = await page.locator('svg.gantt rect.gantt-bar').count();
    const rows = await page.locator('table.runs tbody tr').count();
    expect(bars).toBeGreaterThan(0);
    // Every run of the page that started is a bar.
    expect(bars).toBeLessThanOrEqual(rows);
    await shot('05-pipeline-gantt');
  });

  it('triggers a run of the managed pipeline and watches it finish, live', async () => {
    await page.goto('/ui/s/demo/pipelines?origin=managed');
    await page.getByRole('link', { name: 'user-analytics' }).click();
    await page.getByRole('button', { name: 'Trigger a run…' }).click();
    await page.getByLabel('variables').fill('{"days": 3}');
    await page.getByRole('button', { name: 'Trigger', exact: true }).click();
    await page.waitForURL(/\/runs\/[0-9a-f-]+/);
    // The run page follows the run with long polls to its end.
    await page.locator('h1 .badge-success').waitFor({ timeout: 60_000 });
    await page.getByText('3 of 3 steps (100%)').waitFor();
    expect(await page.locator('table.task-runs tbody .badge-success').count()).toBe(3);
    await page.getByText('variables {"days":3,"min_events":1}').waitFor();
    await shot('06-run-finished');
  });

  it('comments on a task run, edits the comment, and deletes it', async () => {
    const firstStep = page.locator('table.task-runs tbody tr').first();
    const label = (await firstStep.locator('td').first().textContent()) as string;
    await page.getByRole('button', { name: `comments on ${label}` }).click();
    await page.getByText('No comments yet.').first().waitFor();
    await page.getByLabel(`new comment on ${label}`).fill('Rows look right to me.');
    await page.getByRole('button', { name: 'Comment', exact: true }).first().click();
    const comment = page.locator('.comment').filter({ hasText: 'Rows look right to me.' });
    await comment.waitFor();
    await comment.getByRole('button', { name: 'Edit' }).click();
    await page.getByLabel('edit comment').fill('Rows look right: checked against the source.');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.locator('.comment').filter({ hasText: 'checked against the source.' }).getByText('(edited)').waitFor();
    await shot('07-task-run-comment');
    await page.locator('.comment').filter({ hasText: 'checked against the source.' }).getByRole('button', { name: 'Delete' }).click();
    await page.locator('.comment').filter({ hasText: 'checked against the source.' }).waitFor({ state: 'detached' });
  });

  it('cancels a synced run in its orchestrator, then retries it', async () => {
    await page.goto('/ui/s/demo/pipelines?origin=synced');
    await page.locator('table.pipelines tbody tr td:nth-child(2) a').first().click();
    await page.getByRole('button', { name: 'Trigger a run…' }).click();
    await page.getByLabel('note').fill('from the console');
    await page.getByRole('button', { name: 'Trigger', exact: true }).click();
    await page.waitForURL(/\/runs\/[0-9a-f-]+/);
    await page.locator('h1 .badge-queued').waitFor();
    // The mock orchestrator starts a triggered run 5 s after it was queued (TRIGGERED_RUN_TIMELINE);
    // cancelled once it runs, a task fails and a retry has something to run again.
    await page.waitForTimeout(6_000);
    await page.getByRole('button', { name: 'Cancel run' }).click();
    // The mock orchestrator, like Airflow, marks a cancelled run failed.
    await page.locator('h1 .badge-failed').waitFor();
    await page.getByRole('button', { name: 'Retry' }).click();
    await page.locator('h1 .badge-queued').waitFor();
    await shot('07-run-retried');
  });

  it('shows the errors of a YAML pipeline at their line as it is typed, and the API message when it is applied', async () => {
    await page.goto('/ui/s/demo/editor');
    await page.getByText(/^Valid: /).waitFor();
    const bad = [
      'name: broken-one',
      'sources:',
      '  - name: numbers',
      '    query: select n from generate_series(1, 3) as g(n)',
      'transforms:',
      '  - name: doubled',
      '    query: select n * 2 as n from nowhere_known',
      'destinations:',
      '  - name: analytics.doubled',
      '    from: doubled',
      '    mode: sideways',
      '',
    ].join('\n');
    await page.locator('.cm-content').click();
    await page.keyboard.press('Control+A');
    await page.keyboard.insertText(bad);
    const problem = page.locator('.problem-error').filter({ hasText: 'line 11' });
    await problem.waitFor();
    expect(await problem.textContent()).toContain('mode');
    // The editor marks the line too (CodeMirror's lint gutter).
    await page.locator('.cm-lint-marker-error').first().waitFor();
    await shot('08-editor-error');

    await page.getByRole('button', { name: 'Create the pipeline' }).click();
    await page.getByRole('alert').filter({ hasText: 'Not saved' }).waitFor();
    await shot('09-editor-refused');
  });

  it('saves a new version from the editor, and opens the editor on it again', async () => {
    await page.goto('/ui/s/demo/pipelines?origin=managed');
    await page.getByRole('link', { name: 'user-analytics' }).click();
    await page.getByRole('link', { name: 'Edit the definition' }).click();
    await page.getByText(/^Valid: /).waitFor();
    const description = page.locator('.cm-line').filter({ hasText: /^description:/ });
    await description.click();
    await page.keyboard.press('End');
    await page.keyboard.insertText(' Edited in the console.');
    await page.getByText(/^Valid: /).waitFor();
    await page.getByRole('button', { name: 'Save a new version' }).click();
    await page.waitForURL(/\/pipelines\/[0-9a-f-]+$/);
    await page.getByRole('button', { name: 'Version 2' }).click();
    await page.locator('.diff-added').filter({ hasText: 'Edited in the console.' }).waitFor();
    await shot('10-version-diff');
    // The editor opens on the version just saved, not on the one it showed before.
    await page.getByRole('link', { name: 'Edit the definition' }).click();
    await page.locator('.cm-line').filter({ hasText: 'Edited in the console.' }).waitFor();
  });

  it('offers a viewer no edits: no team or criticality selects, no trigger', async () => {
    const admin = { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' };
    const api = (path: string, method: string, body: unknown) =>
      fetch(`${server.url}/api/v1.0${path}`, { method, headers: admin, body: JSON.stringify(body) }).then(
        (r) => r.json() as Promise<{ id: string; key: string }>,
      );
    const user = await api('/users', 'POST', { email: 'viewer@example.com', name: 'Vi Ewer' });
    await api(`/spaces/demo/members/${user.id}`, 'PUT', { role: 'viewer' });
    const viewerKey = (await api(`/users/${user.id}/api-keys`, 'POST', { name: 'console' })).key;

    const viewer = await browser.newPage({ baseURL: server.url });
    viewer.on('pageerror', (err) => errors.push(err.message));
    await viewer.goto('/ui/signin');
    await viewer.getByPlaceholder('sbx_…').fill(viewerKey);
    await viewer.getByRole('button', { name: 'Sign in' }).click();
    await viewer.getByText('Vi Ewer').waitFor();
    await viewer.locator('table.pipelines tbody tr').first().waitFor();
    expect(await viewer.locator('table.pipelines select').count()).toBe(0);
    await viewer.locator('table.pipelines tbody tr td:nth-child(2) a').first().click();
    await viewer.getByRole('img', { name: 'run history timeline' }).waitFor();
    expect(await viewer.getByRole('button', { name: 'Trigger a run…' }).count()).toBe(0);
    await viewer.close();
  });

  it('serves the API reference at /docs, rendered in the browser from /openapi.json', async () => {
    await page.goto('/docs');
    await page.getByText('Signalbox API').first().waitFor({ timeout: 30_000 });
    await shot('11-docs');
    // An operation of the document, in its tag's group of the sidebar.
    await page.getByText('pipelines', { exact: true }).first().click();
    await page
      .getByText(/Pipelines by name, filtered/)
      .first()
      .waitFor({ timeout: 30_000 });
    await shot('11-docs');
  });

  it('counts what the console did in /metrics, in the Prometheus text format', async () => {
    const res = await fetch(`${server.url}/metrics`);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const parsed = parseMetrics(await res.text());
    const sample = (name: string, labels: Record<string, string>) =>
      parsed.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
    const typeOf = (family: string) => parsed.find((s) => s.family === family)?.type;

    // The list the console read, by route template; the key it refused at sign-in.
    const P = '/api/v1.0/spaces/{slug}/orchestration';
    expect(typeOf('signalbox_http_requests')).toBe('counter');
    expect(sample('signalbox_http_requests_total', { method: 'GET', route: `${P}/pipelines`, status: '200' })[0]?.value).toBeGreaterThan(3);
    expect(sample('signalbox_http_requests_total', { route: '/api/v1.0/me', status: '401' })[0]?.value).toBe(1);
    expect(typeOf('signalbox_http_request_duration_seconds')).toBe('histogram');
    const trigger = { method: 'POST', route: `${P}/pipelines/{pipeline_id}/trigger`, status: '201' };
    // The managed run and the synced one.
    expect(sample('signalbox_http_request_duration_seconds_count', trigger)[0]?.value).toBe(2);
    expect(sample('signalbox_http_request_duration_seconds_bucket', { ...trigger, le: '+Inf' })[0]?.value).toBe(2);
    // The demo's run at start and the one triggered here; the demo's sync.
    expect(sample('signalbox_managed_runs_total', { outcome: 'success', engine: 'embedded' })[0]?.value).toBe(2);
    expect(sample('signalbox_syncs_total', { outcome: 'succeeded' })[0]?.value).toBeGreaterThanOrEqual(1);
    expect(typeOf('signalbox_jobs')).toBe('gauge');
    expect(sample('process_resident_memory_bytes', {})[0]?.value).toBeGreaterThan(0);
    // Route templates only: no id the console used appears as a label.
    for (const s of sample('signalbox_http_requests_total', {})) expect(s.labels.route).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-/);
  });

  it('threw no error in the page and fetched nothing from elsewhere', () => {
    expect(errors).toEqual([]);
  });
});
