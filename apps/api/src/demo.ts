import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Actor, isDomainError, type Logger, type Services } from '@signalbox/core';
import { ADMIN_KEY_VARIABLE, bootstrapAdmin } from './admin-key';
import type { Config } from './config';

export const DEMO_SLUG = 'demo';
export const DEMO_KEY_FILE = 'demo-admin.key';
export const DEMO_FLEET = { pipelines: 36, runs_per_pipeline: 20, seed: 42 };
const DEMO_SYNC_WAIT_MS = 5 * 60_000;

/** The key a newcomer calls the demo with, and where it came from. */
export interface DemoKey {
  /** The key itself, or null when it is the operator's SIGNALBOX_ADMIN_API_KEY (never printed). */
  key: string | null;
  source: 'admin-env' | 'data-dir';
  file?: string;
}

/**
 * The admin key of the demo: SIGNALBOX_ADMIN_API_KEY when set; otherwise a key generated once and
 * kept in the data folder (mode 0600), registered (hashed) as an instance admin's key on each start.
 * Keeping it in the file is what lets every start print it; delete the file to stop that.
 */
export async function demoAdmin(services: Services, config: Config): Promise<{ actor: Actor; key: DemoKey }> {
  if (config.adminApiKey) {
    return { actor: await bootstrapAdmin(services, config.adminApiKey, ADMIN_KEY_VARIABLE), key: { key: null, source: 'admin-env' } };
  }
  const file = join(config.dataDir, DEMO_KEY_FILE);
  let key: string | undefined;
  try {
    key = (await readFile(file, 'utf8')).trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (!key) {
    await mkdir(config.dataDir, { recursive: true });
    await writeFile(file, `sbx_demo_${randomBytes(24).toString('base64url')}\n`, { mode: 0o600, flag: 'wx' }).catch((err) => {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    });
    key = (await readFile(file, 'utf8')).trim();
  }
  return { actor: await bootstrapAdmin(services, key, file), key: { key, source: 'data-dir', file } };
}

/**
 * Creates the `demo` space once: two teams and a mock connector whose fleet is synced (by a worker,
 * which must be running) before the server starts. A demo that exists is left as it is (another process, or an earlier start, made it).
 */
export async function ensureDemo(services: Services, actor: Actor, logger: Logger): Promise<{ created: boolean; pipelines: number }> {
  try {
    await services.spaces.create(actor, { slug: DEMO_SLUG, name: 'Demo' });
  } catch (err) {
    if (isDomainError(err) && err.code === 'SPACE_EXISTS') {
      const page = await services.pipelines.list(actor, DEMO_SLUG, {}, { page: 1, perPage: 1 });
      return { created: false, pipelines: page.total };
    }
    throw err;
  }
  for (const name of ['Data Platform', 'Analytics']) await services.teams.create(actor, DEMO_SLUG, { name });
  const connector = await services.connectors.create(actor, DEMO_SLUG, { name: 'demo-mock', type: 'mock', config: { ...DEMO_FLEET } });
  // The worker runs the first sync (this process's, or another's on the same database); start-up waits for it.
  const started = await services.syncs.start(actor, DEMO_SLUG, connector.id);
  const done = await services.syncs.wait(actor, DEMO_SLUG, connector.id, started.id, DEMO_SYNC_WAIT_MS);
  if (done.status !== 'succeeded') logger.warn('demo sync did not succeed', { status: done.status, error: done.error });
  else logger.info('demo space created', { space: DEMO_SLUG, ...done.counts });
  return { created: true, pipelines: done.counts.pipelines };
}

/** The demo's managed pipeline, in the sources / transforms / destinations shape: the README applies the same file. */
export const DEMO_PIPELINE_FILE = join(__dirname, '..', '..', '..', 'examples', 'user-analytics.yaml');
const DEMO_RUN_WAIT_SECONDS = 60;

/**
 * Defines the demo's managed pipeline once and runs it, so a newcomer sees a managed run with its
 * steps and rows at once. Left as it is when the pipeline exists (an earlier start made it), and
 * skipped where it cannot run (Signalbox on PostgreSQL has no embedded warehouse).
 */
export async function ensureDemoPipeline(services: Services, actor: Actor, logger: Logger): Promise<void> {
  const existing = await services.pipelines.list(actor, DEMO_SLUG, { origin: ['managed'], q: 'user-analytics' }, { page: 1, perPage: 1 });
  if (existing.total > 0) return;
  let pipelineId: string;
  try {
    const text = await readFile(DEMO_PIPELINE_FILE, 'utf8');
    pipelineId = (await services.managed.create(actor, DEMO_SLUG, { text, format: 'yaml' })).pipeline.id;
  } catch (err) {
    if (isDomainError(err) && (err.code === 'PIPELINE_EXISTS' || err.code === 'DEFINITION_INVALID')) {
      logger.warn('demo pipeline not created', { code: err.code, error: err.message });
      return;
    }
    throw err;
  }
  const { run } = await services.runs.trigger(actor, DEMO_SLUG, pipelineId, { note: 'the demo’s first run' });
  const done = await services.runs.get(actor, DEMO_SLUG, run.id, { seconds: DEMO_RUN_WAIT_SECONDS });
  if (done.run.status !== 'success') logger.warn('demo pipeline run did not succeed', { status: done.run.status, error: done.run.managed?.error?.message });
  else logger.info('demo pipeline ran', { pipeline: 'user-analytics', rows_loaded: done.run.managed?.rowsLoaded, duration_ms: done.run.managed?.durationMs });
}
