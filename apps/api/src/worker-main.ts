import type { Worker } from '@signalbox/core';
import { migrateToLatest } from '@signalbox/persistence-kysely';
import type { Container } from 'inversify';
import { type Config, loadConfig } from './config';
import { buildContainer } from './container';
import { runProcess } from './process-main';
import { T } from './tokens';

export interface WorkerProcess {
  container: Container;
  worker: Worker;
  /** Stops claiming, lets running jobs finish for the grace period, releases the rest, closes the database. Idempotent. */
  stop(): Promise<void>;
}

/** Starts a process that serves no HTTP and only does background work: the same configuration as the API. */
export async function startWorker(opts: { env?: NodeJS.ProcessEnv; config?: Partial<Config>; logStream?: NodeJS.WritableStream } = {}): Promise<WorkerProcess> {
  const config = { ...loadConfig(opts.env ?? process.env), ...opts.config };
  const container = buildContainer(config, { logStream: opts.logStream, keepSpaces: false });
  const logger = container.get(T.logger);
  const db = await container.getAsync(T.database);
  try {
    const { applied } = await migrateToLatest(db.db);
    logger.info('database ready', { dialect: db.dialect, migrations_applied: applied.length });
    const worker = await container.getAsync(T.worker);
    worker.start();
    logger.info('worker started', { concurrency: config.workerConcurrency });
    let stopping: Promise<void> | undefined;
    const stop = () =>
      (stopping ??= (async () => {
        logger.info('shutting down');
        await worker.stop();
        await (await container.getAsync(T.warehouses)).close();
        await db.close();
        logger.info('stopped');
      })());
    return { container, worker, stop };
  } catch (err) {
    await db.close().catch(() => {});
    throw err;
  }
}

/** `npm run worker`: start, and stop gracefully on SIGTERM / SIGINT. */
if (require.main === module) void runProcess('signalbox worker', () => startWorker());
