import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock } from '@signalbox/core/testing';
import type { ApiHarness, ManagedHarness } from '@signalbox/http-express/testing';
import { migrateToLatest, TABLES } from '@signalbox/persistence-kysely';
import { sql } from 'kysely';
import request from 'supertest';
import { type Config, loadConfig } from './config';
import { buildContainer } from './container';
import { T } from './tokens';

export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A configuration for tests: a fresh temporary data folder, no demo, quiet logs. */
export function testConfig(overrides: Partial<Config> = {}): Config & { cleanup(): void } {
  const dataDir = mkdtempSync(join(tmpdir(), 'signalbox-api-'));
  const config = { ...loadConfig({ SIGNALBOX_DATA_DIR: dataDir, SIGNALBOX_DEMO: '0', LOG_LEVEL: 'error' }), ...overrides };
  return { ...config, cleanup: () => rmSync(dataDir, { recursive: true, force: true }) };
}

/**
 * The standalone app's real wiring on an embedded database, migrated, with `key` as an admin key,
 * its worker running, and the space `data`; `close()` stops and removes it all.
 */
export async function runningApp(key: string, overrides: Partial<Config> = {}) {
  const config = testConfig({ inMemoryDatabase: true, secretKey: 'running-app-secret-0123456789', workerPollMs: 50, clusterFollowMs: 100, ...overrides });
  const container = buildContainer(config);
  const db = await container.getAsync(T.database);
  await migrateToLatest(db.db);
  await (await container.getAsync(T.services)).access.bootstrapAdminKey(key);
  const app = await container.getAsync(T.app);
  const worker = await container.getAsync(T.worker);
  worker.start();
  const space = await request(app)
    .post('/api/v1.0/spaces')
    .set({ Authorization: `Bearer ${key}` })
    .send({ slug: 'data', name: 'Data' })
    .expect(201);
  const close = async () => {
    await worker.stop();
    await (await container.getAsync(T.warehouses)).close();
    await db.close();
    config.cleanup();
  };
  return { container, app, spaceId: space.body.id as string, close };
}

/** The body that creates the `argo-prod` connector of a stub Argo Server (manual syncs only). */
export const argoConnectorBody = (stub: { url: string; namespace: string; token: string }) => ({
  name: 'argo-prod',
  type: 'argo',
  config: { base_url: stub.url, namespace: stub.namespace, token: stub.token, warehouse_secret: { name: 'warehouse', key: 'url' } },
  sync_interval_seconds: null,
});

/**
 * A PostgreSQL database of its own for one test file, dropped by `drop()`. A database rather than
 * a schema: Kysely's migrator looks for its bookkeeping tables in any schema, so a schema-scoped
 * migration is confused by another schema's tables.
 */
export async function freshDatabase(label: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `sbx_${label}_${process.pid}_${Date.now().toString(36)}`;
  await adminQuery(`CREATE DATABASE ${name}`);
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

/** A harness on a database of its own, created first and dropped after the harness closes. */
export function onFreshDatabase<H extends { close?(): Promise<void> }>(label: string, make: (databaseUrl: string) => Promise<H>): () => Promise<H> {
  return async () => {
    const database = await freshDatabase(label);
    const harness = await make(database.url);
    return {
      ...harness,
      close: async () => {
        await harness.close?.();
        await database.drop();
      },
    };
  };
}

async function adminQuery(text: string) {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

/**
 * The real wiring of the container (persistence, registry, services, a running worker) with a fake
 * clock, migrated, as the HTTP API suite wants it.
 */
export async function containerHarness(overrides: Partial<Config>): Promise<ApiHarness> {
  return countingHarness(overrides);
}

/** The container harness that can also count the rows of every table. */
export async function countingHarness(overrides: Partial<Config>): Promise<ManagedHarness> {
  // One process: the embedded warehouse serves it on PostgreSQL too.
  const config = testConfig({
    secretKey: 'test-secret-key-0123456789',
    inMemoryDatabase: !overrides.databaseUrl,
    workerPollMs: 20,
    embeddedWarehouse: true,
    ...overrides,
  });
  const container = buildContainer(config);
  const clock = new FakeClock(new Date());
  container.rebind(T.clock).toConstantValue(clock);
  const db = await container.getAsync(T.database);
  await migrateToLatest(db.db);
  const services = await container.getAsync(T.services);
  const worker = await container.getAsync(T.worker);
  worker.start();
  return {
    services,
    mock: container.get(T.mockProviders),
    advanceClock: (ms) => clock.advance(ms),
    countRows: async () => {
      const counts: Record<string, number> = {};
      for (const table of TABLES) {
        const { rows } = await sql<{ n: string }>`SELECT count(*) AS n FROM ${sql.table(table)}`.execute(db.db);
        counts[table] = Number(rows[0].n);
      }
      return counts;
    },
    close: async () => {
      await worker.stop();
      await (await container.getAsync(T.warehouses)).close();
      await db.close();
      config.cleanup();
    },
  };
}
