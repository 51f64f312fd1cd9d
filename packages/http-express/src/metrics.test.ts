import { createServices, ProviderRegistry } from '@signalbox/core';
import { FakeClock, inMemoryPersistence, SequentialIds } from '@signalbox/core/testing';
import { register } from 'prom-client';
import request from 'supertest';
import { type AppOptions, buildApp, createMetrics, type MetricsSources } from './index';

const KEY = 'sbx_metrics_test_key_0123456789abcdef';
const auth = { Authorization: `Bearer ${KEY}` };

async function app(opts: Partial<AppOptions> = {}, sources: MetricsSources = {}) {
  const ids = new SequentialIds();
  const services = createServices({ ...inMemoryPersistence(ids), registry: new ProviderRegistry(), clock: new FakeClock(), ids });
  await services.access.bootstrapAdminKey(KEY);
  const metrics = createMetrics({ processMetrics: false, ...sources });
  return { app: buildApp(services, { ready: async () => {}, accessLog: false, metrics, ...opts }), metrics };
}

const scrape = async (a: Parameters<typeof request>[0]) => (await request(a).get('/metrics')).text;
/** The value of one series in the text, or undefined when the text has none such. */
const value = (text: string, series: string) => {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

describe('GET /metrics', () => {
  it('counts requests by method, route template and status, never by the path as sent', async () => {
    const { app: a } = await app();
    await request(a).get('/api/v1.0/spaces/acme/orchestration/pipelines').set(auth);
    await request(a).get('/api/v1.0/spaces/other-team/orchestration/pipelines').set(auth);
    await request(a).get('/api/v1.0/spaces/acme/orchestration/pipelines'); // no key: 401, same route
    await request(a).delete('/api/v1.0/spaces/acme/orchestration/pipelines').set(auth); // 405
    await request(a).get('/api/v1.0/nothing/1').set(auth);
    await request(a).get('/elsewhere/2');
    await request(a).get('/health/live');

    const text = await scrape(a);
    const route = '/api/v1.0/spaces/{slug}/orchestration/pipelines';
    expect(value(text, `signalbox_http_requests_total{method="GET",route="${route}",status="404"}`)).toBe(2);
    expect(value(text, `signalbox_http_requests_total{method="GET",route="${route}",status="401"}`)).toBe(1);
    expect(value(text, `signalbox_http_requests_total{method="DELETE",route="${route}",status="405"}`)).toBe(1);
    expect(value(text, 'signalbox_http_requests_total{method="GET",route="unmatched",status="404"}')).toBe(2);
    expect(value(text, 'signalbox_http_requests_total{method="GET",route="/health/live",status="200"}')).toBe(1);
    expect(value(text, `signalbox_http_request_duration_seconds_count{method="GET",route="${route}",status="404"}`)).toBe(2);
    // No id, slug or unknown path became a label.
    expect(text).not.toMatch(/acme|other-team|nothing|elsewhere/);
  });

  it('counts a request whose client hung up before the answer, as 499', async () => {
    let answer: () => void = () => {};
    const { app: a } = await app({ ready: () => new Promise<void>((resolve) => (answer = resolve)) });
    const server = a.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const { port } = server.address() as import('node:net').AddressInfo;
    try {
      await expect(fetch(`http://127.0.0.1:${port}/health/ready`, { signal: AbortSignal.timeout(100) })).rejects.toThrow();
      // The server sees the connection close, then answers into nothing.
      await new Promise((resolve) => setTimeout(resolve, 100));
      answer();
      const text = await scrape(a);
      expect(value(text, 'signalbox_http_requests_total{method="GET",route="/health/ready",status="499"}')).toBe(1);
      expect(text).not.toContain('route="/health/ready",status="200"');
    } finally {
      server.close();
    }
  });

  it('labels the dialects by their own templates', async () => {
    const { app: a } = await app();
    await request(a).get('/api/v1/pipelines/nightly-etl').set(auth); // seed-2, under its base
    await request(a).get('/pipelines/abc/runs').set(auth); // seed-3, from the root
    const text = await scrape(a);
    const labels = [...text.matchAll(/signalbox_http_requests_total\{method="GET",route="([^"]+)"/g)].map((m) => m[1]);
    expect(labels).toEqual(expect.arrayContaining(['/api/v1/pipelines/{pipeline_name}', '/pipelines/{pipeline_id}/runs']));
    expect(labels.join()).not.toMatch(/nightly|abc/);
  });

  it('keeps each app in a registry of its own, apart from prom-client’s global one', async () => {
    const first = await app();
    const second = await app();
    await request(first.app).get('/health/live');
    await request(first.app).get('/health/live');
    expect(value(await scrape(first.app), 'signalbox_http_requests_total{method="GET",route="/health/live",status="200"}')).toBe(2);
    expect(value(await scrape(second.app), 'signalbox_http_requests_total{method="GET",route="/health/live",status="200"}')).toBeUndefined();
    expect(register.getSingleMetric('signalbox_http_requests_total')).toBeUndefined();
  });

  it('counts itself under its own label, and serves the text format uncached', async () => {
    const { app: a } = await app();
    const first = await request(a).get('/metrics');
    expect(first.status).toBe(200);
    expect(first.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(first.headers['cache-control']).toBe('no-store');
    expect(value(await scrape(a), 'signalbox_http_requests_total{method="GET",route="/metrics",status="200"}')).toBe(1);
  });

  it('counts syncs and managed runs by outcome, with their durations in seconds', async () => {
    const { app: a, metrics } = await app();
    metrics.telemetry.syncEnded('succeeded', 1500);
    metrics.telemetry.syncEnded('succeeded', 500);
    metrics.telemetry.syncEnded('failed', 250);
    metrics.telemetry.managedRunEnded('success', 'embedded', 4000);
    metrics.telemetry.managedRunEnded('canceled', 'cluster', 60_000);
    const text = await scrape(a);
    expect(value(text, 'signalbox_syncs_total{outcome="succeeded"}')).toBe(2);
    expect(value(text, 'signalbox_syncs_total{outcome="failed"}')).toBe(1);
    expect(value(text, 'signalbox_sync_duration_seconds_sum{outcome="succeeded"}')).toBe(2);
    expect(value(text, 'signalbox_sync_duration_seconds_bucket{le="1",outcome="succeeded"}')).toBe(1);
    expect(value(text, 'signalbox_managed_runs_total{outcome="success",engine="embedded"}')).toBe(1);
    expect(value(text, 'signalbox_managed_run_duration_seconds_sum{outcome="canceled",engine="cluster"}')).toBe(60);
  });

  it('reads the job queue and the pool at each scrape; a failed read of the queue leaves its series out, the scrape answers', async () => {
    let depth = [{ name: 'sync', waiting: 3, running: 1 }];
    let failing = false;
    const pool = { max: 10, open: 4, idle: 1, waiting: 2 };
    const { app: a } = await app(
      {},
      { jobs: async () => (failing ? Promise.reject(new Error('down')) : depth), jobNames: ['sync', 'managed-run'], pool: () => pool },
    );
    let text = await scrape(a);
    expect(value(text, 'signalbox_jobs{job="sync",state="waiting"}')).toBe(3);
    expect(value(text, 'signalbox_jobs{job="sync",state="running"}')).toBe(1);
    expect(value(text, 'signalbox_db_pool_connections{state="idle"}')).toBe(1);
    expect(value(text, 'signalbox_db_pool_connections{state="in_use"}')).toBe(3);
    expect(value(text, 'signalbox_db_pool_waiting')).toBe(2);
    expect(value(text, 'signalbox_db_pool_size')).toBe(10);

    depth = [{ name: 'managed-run', waiting: 1, running: 0 }];
    text = await scrape(a);
    expect(value(text, 'signalbox_jobs{job="managed-run",state="waiting"}')).toBe(1);
    // Gone from the queue: at 0, as every job named, so a series never vanishes from a graph.
    expect(value(text, 'signalbox_jobs{job="sync",state="waiting"}')).toBe(0);
    expect(value(text, 'signalbox_jobs{job="sync",state="running"}')).toBe(0);

    depth = [];
    text = await scrape(a);
    expect(value(text, 'signalbox_jobs{job="managed-run",state="waiting"}')).toBe(0);

    Object.assign(pool, { open: 10, idle: 0, waiting: 7 });
    failing = true;
    const res = await request(a).get('/metrics');
    expect(res.status).toBe(200);
    expect(res.text).not.toMatch(/^signalbox_jobs\{/m);
    expect(value(res.text, 'signalbox_db_pool_connections{state="in_use"}')).toBe(10);
    expect(value(res.text, 'signalbox_db_pool_waiting')).toBe(7);
  });

  it('has no pool series without a pool (PGlite)', async () => {
    expect(await scrape((await app()).app)).not.toContain('signalbox_db_pool');
  });

  it('with the API at the root, still serves the health checks, the document and the metrics, and labels routes without a double slash', async () => {
    for (const basePath of ['/', '']) {
      const { app: a } = await app({ basePath });
      expect((await request(a).get('/health/live')).status).toBe(200);
      expect((await request(a).get('/openapi.json')).body.paths).toHaveProperty(['/spaces/{slug}/orchestration/pipelines']);
      expect((await request(a).get('/spaces/acme/orchestration/pipelines').set(auth)).status).toBe(404);
      expect((await request(a).get('/spaces/acme/orchestration/pipelines')).status).toBe(401);
      expect((await request(a).get('/nothing/here').set(auth)).body.error.code).toBe('ROUTE_NOT_FOUND');
      // The dialects too: the seed-2 one under its base, the seed-3 one at the root.
      for (const path of ['/api/v1/pipelines', '/pipelines/some-id/runs']) {
        expect((await request(a).get(path).set(auth)).body.error?.code).not.toBe('ROUTE_NOT_FOUND');
      }
      const text = await scrape(a);
      expect(value(text, 'signalbox_http_requests_total{method="GET",route="/spaces/{slug}/orchestration/pipelines",status="404"}')).toBe(1);
    }
  });

  it('has process metrics unless told not to', async () => {
    const ids = new SequentialIds();
    const services = createServices({ ...inMemoryPersistence(ids), registry: new ProviderRegistry(), clock: new FakeClock(), ids });
    const a = buildApp(services, { ready: async () => {}, accessLog: false });
    expect(await scrape(a)).toMatch(/^process_cpu_user_seconds_total \d/m);
    expect(await scrape((await app()).app)).not.toContain('process_cpu_user_seconds_total');
  });

  it('with a token, answers only a request bearing it: 401 in the error shape otherwise', async () => {
    const { app: a } = await app({ metricsToken: 'metrics-token-0123456789' });
    for (const header of [undefined, 'Bearer wrong-token', 'Bearer metrics-token-012345678', 'Basic bWV0cmljczp4', `Bearer ${KEY}`]) {
      const req = request(a).get('/metrics');
      const res = await (header ? req.set('Authorization', header) : req);
      expect([res.status, res.body.error?.code]).toEqual([401, 'UNAUTHENTICATED']);
      expect(res.headers['www-authenticate']).toBe('Bearer realm="signalbox-metrics"');
      expect(res.text).not.toContain('signalbox_http_requests_total');
    }
    const ok = await request(a).get('/metrics').set('Authorization', 'bearer   metrics-token-0123456789');
    expect(ok.status).toBe(200);
    expect(ok.text).toContain('signalbox_http_requests_total{method="GET",route="/metrics",status="401"} 5');
  });

  it('is open without a token', async () => {
    expect((await request((await app({ metricsToken: null })).app).get('/metrics')).status).toBe(200);
  });

  it('is not an operation of the OpenAPI document, nor are /docs and /ui', async () => {
    const doc = (await request((await app()).app).get('/openapi.json')).body as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths).filter((p) => /^\/(metrics|docs|ui)\b/.test(p))).toEqual([]);
  });
});
