import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { ProviderRegistry } from '@signalbox/core';
import { migrateToLatest } from '@signalbox/persistence-kysely';
import request from 'supertest';
import type { Config } from './config';
import { buildContainer } from './container';
import { coreLogger, createLogger, redact } from './logging';
import { freshDatabase, testConfig } from './test-support';
import { T } from './tokens';
import { startWorker } from './worker-main';

describe('container bindings', () => {
  it('resolves every binding once, async ones with getAsync, and the app answers', async () => {
    const config = testConfig({ secretKey: null });
    const c = buildContainer(config);
    try {
      expect(() => c.get(T.services)).toThrow(); // async binding: get() refuses it
      for (const token of Object.values(T) as symbol[]) expect(await c.getAsync(token)).toBeDefined();
      expect(await c.getAsync(T.services)).toBe(await c.getAsync(T.services)); // singleton
      const registry = c.get(T.registry);
      expect(registry).toBeInstanceOf(ProviderRegistry);
      expect(registry.supports('mock') && registry.supports('airflow')).toBe(true);
      expect((await c.getAsync(T.secretKey)).length).toBeGreaterThanOrEqual(16); // generated into the data folder
      const db = await c.getAsync(T.database);
      await expect(db.ping()).resolves.toBeUndefined();
      await db.close();
    } finally {
      config.cleanup();
    }
  });
});

describe('the spaces kept for conditional reads (ADR 0024)', () => {
  it('are kept on PostgreSQL unless the configuration or the process says not, and never on PGlite', async () => {
    const database = await freshDatabase('kept');
    try {
      const cases: [Partial<Config>, boolean | undefined, boolean][] = [
        [{ databaseUrl: database.url, keepSpaces: true }, undefined, true],
        [{ databaseUrl: database.url, keepSpaces: false }, undefined, false],
        [{ databaseUrl: database.url, keepSpaces: true }, false, false],
        [{ inMemoryDatabase: true, keepSpaces: true }, undefined, false],
      ];
      for (const [overrides, keepSpaces, kept] of cases) {
        const config = testConfig({ secretKey: 'container-test-secret-0123', databasePoolSize: 2, ...overrides });
        const c = buildContainer(config, keepSpaces === undefined ? {} : { keepSpaces });
        const db = await c.getAsync(T.database);
        try {
          expect(db.kept !== undefined).toBe(kept);
        } finally {
          await db.close();
          config.cleanup();
        }
      }
      // The worker process serves no HTTP: it keeps nothing, whatever the configuration says.
      const config = testConfig({ secretKey: 'container-test-secret-0123', databasePoolSize: 2, databaseUrl: database.url, keepSpaces: true });
      const worker = await startWorker({ env: {}, config, logStream: new Writable({ write: (_c, _e, done) => done() }) });
      try {
        expect((await worker.container.getAsync(T.database)).kept).toBeUndefined();
      } finally {
        await worker.stop();
        config.cleanup();
      }
    } finally {
      await database.drop();
    }
  });
});

describe('metrics, reference page and console in the container', () => {
  const TOKEN = 'scrape-token-0123456789';

  /** The app on the container's wiring, migrated, with a job queued and a console build of one page. */
  async function wired(overrides: Partial<Config>) {
    const config = testConfig({ secretKey: 'container-test-secret-0123', metricsToken: TOKEN, ...overrides });
    const consoleDir = join(config.dataDir, 'console');
    mkdirSync(consoleDir);
    writeFileSync(join(consoleDir, 'index.html'), '<!doctype html><title>console</title>');
    const c = buildContainer({ ...config, consoleDir });
    const db = await c.getAsync(T.database);
    await migrateToLatest(db.db);
    const repos = await c.getAsync(T.repositories);
    await repos.jobs.enqueue({ name: 'sync', key: 'sync:queued', payload: {} }, '0191a2b3-0000-7000-8000-000000000001', new Date(Date.now() - 1000));
    const app = await c.getAsync(T.app);
    const scrape = () => request(app).get('/metrics').set('Authorization', `Bearer ${TOKEN}`);
    return { app, scrape, close: () => db.close().finally(() => config.cleanup()) };
  }

  it('on PGlite: the token guards /metrics, the queue is read from the database, no pool; /docs and /ui answer', async () => {
    const w = await wired({ inMemoryDatabase: true });
    try {
      expect((await request(w.app).get('/metrics')).status).toBe(401);
      const text = (await w.scrape()).text;
      expect(text).toMatch(/^signalbox_jobs\{job="sync",state="waiting"\} 1$/m);
      expect(text).not.toContain('signalbox_db_pool');
      expect((await request(w.app).get('/docs')).status).toBe(200);
      expect((await request(w.app).get('/ui/pipelines')).text).toContain('<title>console</title>');
    } finally {
      await w.close();
    }
  });

  it('on PostgreSQL: the pool of this process besides the queue', async () => {
    const database = await freshDatabase('metrics');
    const w = await wired({ databaseUrl: database.url, databasePoolSize: 3 });
    try {
      const text = (await w.scrape()).text;
      expect(text).toMatch(/^signalbox_jobs\{job="sync",state="waiting"\} 1$/m);
      expect(text).toMatch(/^signalbox_db_pool_size 3$/m);
      expect(text).toMatch(/^signalbox_db_pool_connections\{state="idle"\} [1-3]$/m);
      expect(text).toMatch(/^signalbox_db_pool_waiting \d+$/m); // other startup queries may be waiting for one
    } finally {
      await w.close();
      await database.drop();
    }
  });
});

describe('logging', () => {
  it('writes JSON lines without keys, passwords or tokens', async () => {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const logger = createLogger('info', stream);
    coreLogger(logger).info('connector saved', {
      password: 'hunter2',
      config: { token: 'tok-123', base_url: 'https://user:pw@airflow.example.com/' },
      authorization: 'Bearer sbx_abcdefghijklmnop',
      note: 'the key sbx_abcdefghijklmnop leaked into a message',
    });
    await new Promise((r) => setImmediate(r));
    const entry = JSON.parse(lines[0]);
    expect(entry).toMatchObject({ level: 'info', message: 'connector saved', password: '[redacted]', authorization: '[redacted]' });
    expect(entry.config.token).toBe('[redacted]');
    const text = lines.join('');
    for (const secret of ['hunter2', 'tok-123', ':pw@', 'sbx_abcdefghijklmnop']) expect(text).not.toContain(secret);
    expect(redact({ nested: [{ api_key: 'x' }] })).toEqual({ nested: [{ api_key: '[redacted]' }] });
  });
});

describe('the access log', () => {
  /** Requests the container's app logs at `logLevel` (one `GET /health/live`), as the core logger is asked to write them. */
  async function logged(logLevel: Config['logLevel']) {
    const asked: { message: string; meta?: Record<string, unknown> }[] = [];
    const config = testConfig({ secretKey: 'container-test-secret-0123', inMemoryDatabase: true, logLevel });
    const c = buildContainer(config, { logStream: new Writable({ write: (_chunk, _enc, done) => done() }) });
    c.rebind(T.coreLogger).toConstantValue({
      info: (message, meta) => asked.push({ message, meta }),
      warn: () => {},
      error: () => {},
    });
    try {
      expect((await request(await c.getAsync(T.app)).get('/health/live')).status).toBe(200);
      return asked.filter((e) => e.message === 'request').map((e) => e.meta?.path);
    } finally {
      await (await c.getAsync(T.database)).close();
      config.cleanup();
    }
  }

  it('is written when the logger takes info lines, and not even built when it drops them', async () => {
    expect(await logged('info')).toEqual(['/health/live']);
    expect(await logged('debug')).toEqual(['/health/live']);
    expect(await logged('warn')).toEqual([]);
    expect(await logged('error')).toEqual([]);
  });
});
