import { readFileSync } from 'node:fs';
import { createServices, ProviderRegistry } from '@signalbox/core';
import { FakeClock, inMemoryPersistence, SequentialIds } from '@signalbox/core/testing';
import request from 'supertest';
import { buildApp, createMetrics } from './index';
import { REFERENCE_SCRIPT_PATH } from './reference-page';

function app() {
  const ids = new SequentialIds();
  const services = createServices({ ...inMemoryPersistence(ids), registry: new ProviderRegistry(), clock: new FakeClock(), ids });
  return buildApp(services, { ready: async () => {}, accessLog: false, metrics: createMetrics({ processMetrics: false }) });
}

describe('the API reference at /docs', () => {
  it('renders /openapi.json with Scalar loaded from this server, with nothing that reaches the internet', async () => {
    const res = await request(app()).get('/docs');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.text).toContain(`<script src="${REFERENCE_SCRIPT_PATH}"`);
    expect(res.text).toMatch(/"url": "\/openapi\.json"/);
    for (const off of ['"withDefaultFonts": false', '"telemetry": false', '"disabled": true', '"showDeveloperTools": "never"', '"hideClientButton": true']) {
      expect(res.text).toContain(off);
    }
    expect(res.text).not.toMatch(/https?:\/\//); // no CDN, no font host
    expect(res.headers['x-content-type-options']).toBe('nosniff');
  });

  it('lets only its own inline script run: a fresh nonce per response, in the policy and on the scripts', async () => {
    const a = app();
    const nonces = [];
    for (let i = 0; i < 2; i++) {
      const res = await request(a).get('/docs');
      const policy: string = res.headers['content-security-policy'];
      const nonce = /script-src 'self' 'nonce-([A-Za-z0-9+/=]+)'/.exec(policy)?.[1];
      expect(nonce).toBeDefined();
      expect(policy).toContain("connect-src 'self'");
      expect(policy).not.toContain('unsafe-eval');
      expect(res.text.match(/<script\b[^>]*>/g)?.every((tag) => tag.includes(`nonce="${nonce}"`))).toBe(true);
      nonces.push(nonce);
    }
    expect(nonces[0]).not.toBe(nonces[1]);
  });

  it('serves Scalar’s bundle from the installed package, kept for good under a versioned path', async () => {
    const res = await request(app())
      .get(REFERENCE_SCRIPT_PATH)
      .buffer(true)
      .parse((r, done) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => done(null, Buffer.concat(chunks)));
      });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/javascript/);
    expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect((res.body as Buffer).equals(readFileSync(require.resolve('@scalar/api-reference/browser/standalone.js')))).toBe(true);
    expect(REFERENCE_SCRIPT_PATH).toMatch(/^\/docs\/assets\/scalar-api-reference-\d+\.\d+\.\d+.*\.js$/);
  });

  it('answers another file under /docs with a JSON 404', async () => {
    const res = await request(app()).get('/docs/assets/scalar-api-reference-0.0.0.js');
    expect([res.status, res.body.error.code]).toEqual([404, 'ROUTE_NOT_FOUND']);
  });
});
