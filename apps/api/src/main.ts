import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import type { Worker } from '@signalbox/core';
import { clientErrorHandler } from '@signalbox/http-express';
import { migrateToLatest } from '@signalbox/persistence-kysely';
import type { Container } from 'inversify';
import { ADMIN_KEY_VARIABLE, bootstrapAdmin } from './admin-key';
import { type Config, loadConfig } from './config';
import { buildContainer } from './container';
import { type DemoKey, demoAdmin, ensureDemo, ensureDemoPipeline } from './demo';
import { runProcess } from './process-main';
import { T } from './tokens';

export interface StartOptions {
  env?: NodeJS.ProcessEnv;
  /** Overrides applied to the loaded configuration (tests). */
  config?: Partial<Config>;
  /** Where the JSON logs go (default stdout). */
  logStream?: NodeJS.WritableStream;
  /** Where the start banner goes (default stdout). */
  print?: (text: string) => void;
  /** Changes bindings before anything is resolved (tests). */
  customize?: (container: Container) => void;
}

export interface Running {
  server: Server;
  url: string;
  container: Container;
  demo: (DemoKey & { curl: string }) | null;
  /**
   * Finishes requests in flight and closes the server while the worker stops claiming and lets its
   * jobs finish for the grace period (then releases them), then closes the database. Idempotent.
   */
  stop(): Promise<void>;
}

/** Starts the API: configuration, migrations, admin key, the background worker, demo, then the HTTP server. */
export async function start(opts: StartOptions = {}): Promise<Running> {
  const config = { ...loadConfig(opts.env ?? process.env), ...opts.config };
  const container = buildContainer(config, { logStream: opts.logStream });
  opts.customize?.(container);
  const logger = container.get(T.logger);
  const print = opts.print ?? ((text: string) => process.stdout.write(`${text}\n`));

  const db = await container.getAsync(T.database);
  let worker: Worker | undefined;
  try {
    const { applied } = await migrateToLatest(db.db);
    logger.info('database ready', { dialect: db.dialect, migrations_applied: applied.length });
    const services = await container.getAsync(T.services);
    if (config.adminApiKey) await bootstrapAdmin(services, config.adminApiKey, ADMIN_KEY_VARIABLE);
    worker = await container.getAsync(T.worker);
    worker.start();

    let demo: DemoKey | null = null;
    if (config.demo) {
      const admin = await demoAdmin(services, config);
      await ensureDemo(services, admin.actor, container.get(T.coreLogger));
      await ensureDemoPipeline(services, admin.actor, container.get(T.coreLogger));
      demo = admin.key;
    }

    const app = await container.getAsync(T.app);
    // The header limit is set here, deliberately, and what Node refuses is answered in the API's shape.
    const server = createServer({ maxHeaderSize: config.maxHeaderBytes }, app);
    server.on('clientError', clientErrorHandler(container.get(T.coreLogger), config.maxHeaderBytes));
    server.listen(config.port, config.host);
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve);
      server.once('error', reject);
    });
    const { port } = server.address() as AddressInfo;
    const shownHost = ['0.0.0.0', '::', '[::]'].includes(config.host) ? '127.0.0.1' : config.host.includes(':') ? `[${config.host}]` : config.host;
    const url = `http://${shownHost}:${port}`;
    logger.info('listening', { url, dialect: db.dialect });

    const sockets = new Set<Socket>();
    server.on('connection', (s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    let stopping: Promise<void> | undefined;
    const running = worker;
    const stop = () =>
      (stopping ??= (async () => {
        logger.info('shutting down');
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        const timer = setTimeout(() => {
          logger.warn('requests still running at the shutdown timeout: closing their connections', { connections: sockets.size });
          server.closeAllConnections();
        }, config.shutdownTimeoutMs);
        // Requests and background work wind down side by side: the worker within its grace period.
        await Promise.all([closed, running.stop()]);
        clearTimeout(timer);
        await (await container.getAsync(T.warehouses)).close();
        await db.close();
        logger.info('stopped');
      })());

    let demoInfo: Running['demo'] = null;
    if (demo) {
      const key = demo.key ?? '$SIGNALBOX_ADMIN_API_KEY';
      const curl = `curl -H "Authorization: Bearer ${key}" "${url}/api/v1.0/spaces/demo/orchestration/pipelines?per_page=5"`;
      demoInfo = { ...demo, curl };
      print(
        [
          '',
          `Signalbox API on ${url} (${db.dialect === 'pglite' ? `embedded PGlite in ${config.dataDir}` : 'PostgreSQL'})`,
          `Console: ${url}/ui${existsSync(join(config.consoleDir, 'index.html')) ? '' : ' (not built yet: run `npm run build`)'}`,
          `API reference: ${url}/docs (OpenAPI document: ${url}/openapi.json)`,
          demo.key
            ? `Demo space 'demo' (mock connector). Admin API key, kept in ${demo.file}:\n  ${demo.key}`
            : "Demo space 'demo' (mock connector). Call it with your SIGNALBOX_ADMIN_API_KEY:",
          `  ${curl}`,
          "Its managed pipeline 'user-analytics' (examples/user-analytics.yaml) ran once at start: add &origin=managed to list it.",
          '',
        ].join('\n'),
      );
    }
    return { server, url, container, demo: demoInfo, stop };
  } catch (err) {
    await worker?.stop().catch(() => {});
    await container
      .getAsync(T.warehouses)
      .then((w) => w.close())
      .catch(() => {});
    await db.close().catch(() => {});
    throw err;
  }
}

/** `npm start`: start, and stop gracefully on SIGTERM / SIGINT. */
if (require.main === module) void runProcess('signalbox', () => start());
