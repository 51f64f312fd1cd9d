/**
 * Every request the adapter sends, checked by Prism mocks of the official Airflow OpenAPI files.
 * With --errors Prism answers 422 to any request that breaks the spec, which the adapter would
 * raise as `invalid`; so a sync and a trigger that succeed here sent only valid requests.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { specFile } from '@signalbox/airflow-stub';
import type { OrchestrationProvider } from '@signalbox/core';
import { airflowProviderFactory } from './airflow-provider';
import { airflowConnector, collect, runsSince, taskRunsSince } from './testing';

const PRISM = join(__dirname, '..', '..', '..', 'node_modules', '@stoplight', 'prism-cli', 'dist', 'index.js');

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

interface Prism {
  url: string;
  log: string[];
  stop(): Promise<void>;
}

async function startPrism(spec: string, probePath: string): Promise<Prism> {
  const port = await freePort();
  const log: string[] = [];
  const child: ChildProcess = spawn(process.execPath, [PRISM, 'mock', '-h', '127.0.0.1', '-p', String(port), '--errors', spec], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d: Buffer) => log.push(d.toString()));
  child.stderr!.on('data', (d: Buffer) => log.push(d.toString()));
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 3_000).unref();
    });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`prism exited: ${log.join('')}`);
    try {
      const res = await fetch(url + probePath);
      if (res.status < 500) return { url, log, stop };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  await stop();
  throw new Error(`prism did not start: ${log.join('')}`);
}

describe('requests checked by Prism mocks of the official specs', () => {
  let v1: Prism | undefined;
  let v2: Prism | undefined;

  beforeAll(async () => {
    // The v1 spec's paths are relative to its /api/v1 server, which Prism ignores: the v1 API
    // lives at the mock's root. The v2 spec's paths carry /api/v2 themselves.
    const [a, b] = await Promise.allSettled([startPrism(specFile('v1'), '/version'), startPrism(specFile('v2'), '/api/v2/version')]);
    if (a.status === 'fulfilled') v1 = a.value;
    if (b.status === 'fulfilled') v2 = b.value;
    if (a.status === 'rejected' || b.status === 'rejected') throw a.status === 'rejected' ? a.reason : (b as PromiseRejectedResult).reason;
  }, 120_000);

  afterAll(async () => {
    await Promise.all([v1?.stop(), v2?.stop()]);
  });

  async function exercise(provider: OrchestrationProvider) {
    const info = await provider.check();
    const pipelines = await collect(provider.pipelines());
    const since = new Date('2026-01-01T00:00:00Z');
    const runs = await collect(runsSince(provider, since));
    const all = await collect(runsSince(provider, null));
    const tasks = await collect(taskRunsSince(provider, since));
    const run = await provider.trigger('example_dag', { runId: 'signalbox__prism', conf: { a: 1 }, note: 'checked', logicalDate: null });
    const dated = await provider.trigger('example_dag', { runId: 'signalbox__prism2', conf: null, note: null, logicalDate: new Date('2026-02-01T00:00:00Z') });
    const fetched = await provider.getRun('example_dag', 'signalbox__prism');
    // Prism answers with an example DAG; the request (path, update_mask, body) is what it checks.
    await provider.setPaused('example_dag', true);
    const canceled = await provider.cancelRun('example_dag', 'signalbox__prism');
    // Prism lists some task instances (random ones) as failed, so the clear is sent too.
    const retried = await provider.retryRun('example_dag', 'signalbox__prism');
    return { info, pipelines, runs, all, tasks, run, dated, fetched, canceled, retried };
  }

  it('Prism answers 422 to a request that breaks the spec (so the checks below can fail)', async () => {
    expect((await fetch(`${v1!.url}/dags/~/dagRuns?limit=lots`)).status).toBe(422);
    const bad = await fetch(`${v2!.url}/api/v2/dags/d/dagRuns`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer x' },
      body: JSON.stringify({ dag_run_id: 'x' }),
    });
    expect(bad.status).toBe(422);
  });

  it('v1: version, DAGs, runs, task instances, trigger, get run, pause, cancel and retry all pass validation', async () => {
    const factory = airflowProviderFactory({ retries: 0, apiPrefix: { v1: '' } });
    const provider = factory.create(airflowConnector(factory.checkConfig({ base_url: v1!.url, api_version: 'v1', username: 'admin', password: 'admin' })));
    const from = v1!.log.length;
    const r = await exercise(provider);
    expect(r.info.apiVersion).toBe('v1');
    expect(r.pipelines.items.length).toBeGreaterThan(0);
    expect(r.runs.items.length).toBeGreaterThan(0);
    expect(r.tasks.items.length).toBeGreaterThan(0);
    expect(r.run.externalId).toEqual(expect.any(String));
    expect(r.fetched.status).toEqual(expect.any(String));
    expect(r.canceled.externalId).toEqual(expect.any(String));
    expect(v1!.log.slice(from).join('')).toMatch(/patch \/dags\/example_dag\/dagRuns\/signalbox__prism/);
    expect(v1!.log.slice(from).join('')).toMatch(/post \/dags\/example_dag\/clearTaskInstances/);
    expect(v1!.log.slice(from).join('')).toMatch(/VALIDATOR\] ✔/);
    expect(v1!.log.slice(from).join('')).not.toMatch(/VALIDATOR\] ✖/);
  });

  it('v2: version, DAGs, runs, task instances, trigger, get run, pause, cancel and retry all pass validation', async () => {
    const factory = airflowProviderFactory({ retries: 0 });
    const provider = factory.create(airflowConnector(factory.checkConfig({ base_url: v2!.url, api_version: 'v2', token: 'a-static-token' })));
    const from = v2!.log.length;
    const r = await exercise(provider);
    expect(r.info.apiVersion).toBe('v2');
    expect(r.pipelines.items.length).toBeGreaterThan(0);
    expect(r.runs.items.length).toBeGreaterThan(0);
    expect(r.tasks.items.length).toBeGreaterThan(0);
    expect(r.dated.externalId).toEqual(expect.any(String));
    expect(r.retried.externalId).toEqual(expect.any(String));
    expect(v2!.log.slice(from).join('')).toMatch(/patch \/api\/v2\/dags\/example_dag\/dagRuns\/signalbox__prism/);
    expect(v2!.log.slice(from).join('')).toMatch(/post \/api\/v2\/dags\/example_dag\/clearTaskInstances/);
    expect(v2!.log.slice(from).join('')).toMatch(/VALIDATOR\] ✔/);
    expect(v2!.log.slice(from).join('')).not.toMatch(/VALIDATOR\] ✖/);
  });
});
