import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServices, ProviderRegistry } from '@signalbox/core';
import { FakeClock, inMemoryPersistence, SequentialIds } from '@signalbox/core/testing';
import request from 'supertest';
import { buildApp, createMetrics } from './index';

const INDEX = '<!doctype html><html><head><script type="module" src="/ui/assets/index-4f2a9c.js"></script></head><body><div id="root"></div></body></html>';

function app(consoleDir: string | undefined) {
  const ids = new SequentialIds();
  const services = createServices({ ...inMemoryPersistence(ids), registry: new ProviderRegistry(), clock: new FakeClock(), ids });
  const metrics = createMetrics({ processMetrics: false });
  return { app: buildApp(services, { ready: async () => {}, accessLog: false, metrics, ...(consoleDir ? { consoleDir } : {}) }), metrics };
}

describe('the console at /ui', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sbx-console-'));
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), INDEX);
    writeFileSync(join(dir, 'assets', 'index-4f2a9c.js'), 'console.log("console")');
    writeFileSync(join(dir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('answers /ui and every route of the app with index.html, revalidated on each load, with its security headers', async () => {
    const { app: a } = app(dir);
    for (const path of ['/ui', '/ui/', '/ui/pipelines', '/ui/s/demo/pipelines/3f1e/runs/9a?tab=steps', '/ui/index.html']) {
      const res = await request(a).get(path);
      expect([path, res.status, res.text]).toEqual([path, 200, INDEX]);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.headers['cache-control']).toBe('no-cache');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['content-security-policy']).toContain("script-src 'self';");
      expect(res.headers['content-security-policy']).toContain("connect-src 'self'");
    }
  });

  it('serves hashed assets for good, other files revalidated', async () => {
    const { app: a } = app(dir);
    const asset = await request(a).get('/ui/assets/index-4f2a9c.js');
    expect([asset.status, asset.text]).toEqual([200, 'console.log("console")']);
    expect(asset.headers['content-type']).toMatch(/javascript/);
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(asset.headers['x-content-type-options']).toBe('nosniff');
    const icon = await request(a).get('/ui/favicon.svg');
    expect([icon.status, icon.headers['cache-control']]).toEqual([200, 'no-cache']);
  });

  it('answers a missing asset with 404, never with the page', async () => {
    const { app: a } = app(dir);
    for (const path of ['/ui/assets/missing.js', '/ui/assets/', '/ui/assets/deep/er.css', '/UI/Assets/missing.js']) {
      const res = await request(a).get(path);
      expect([path, res.status, res.body.error?.code]).toEqual([path, 404, 'ASSET_NOT_FOUND']);
      expect(res.text).not.toContain('<div id="root">');
    }
  });

  it('never serves files outside its folder, and answers other methods and bad paths with 4xx', async () => {
    const { app: a } = app(dir);
    for (const path of ['/ui/..%2f..%2fpackage.json', '/ui/%2e%2e/%2e%2e/etc/passwd', '/ui/assets/..%2f..%2f..%2fetc%2fpasswd']) {
      const res = await request(a).get(path);
      expect(res.status === 200 ? res.text : res.status).toEqual(res.status === 200 ? INDEX : expect.any(Number));
      expect(res.status).toBeLessThan(500);
      expect(res.text).not.toMatch(/root:|"workspaces"/);
    }
    expect((await request(a).get('/ui/%zz')).status).toBe(400);
    expect((await request(a).post('/ui/pipelines').send({})).body.error.code).toBe('ROUTE_NOT_FOUND');
  });

  it('labels its requests /ui and /ui/assets in the metrics', async () => {
    const { app: a } = app(dir);
    await request(a).get('/ui/s/demo/pipelines/3f1e');
    await request(a).get('/ui/index.html'); // a file of the build, served as it is
    await request(a).get('/ui/assets/index-4f2a9c.js');
    await request(a).get('/ui/assets/gone.js');
    const text = (await request(a).get('/metrics')).text;
    expect(text).toContain('signalbox_http_requests_total{method="GET",route="/ui",status="200"} 2');
    expect(text).toContain('signalbox_http_requests_total{method="GET",route="/ui/assets",status="200"} 1');
    expect(text).toContain('signalbox_http_requests_total{method="GET",route="/ui/assets",status="404"} 1');
    expect(text).not.toContain('demo');
  });

  it('answers 503 in the error shape, saying to build it, when the folder or its index.html is missing', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'sbx-console-empty-'));
    try {
      for (const a of [app(empty).app, app(join(empty, 'nowhere')).app, app(undefined).app]) {
        for (const path of ['/ui', '/ui/pipelines', '/ui/assets/index-4f2a9c.js']) {
          const res = await request(a).get(path);
          expect([path, res.status, res.body.error?.code]).toEqual([path, 503, 'CONSOLE_NOT_BUILT']);
          expect(res.body.error.message).toContain('npm run build');
        }
      }
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
