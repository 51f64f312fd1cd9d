import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Logger, silentLogger, type Warehouses, type WarehouseTarget } from '@signalbox/core';
import { BackendWarehouse, type PostgresWarehouse } from './backend-warehouse';
import { type DatabaseIdentity, PgBackend } from './pg-backend';
import { PgliteBackend } from './pglite-backend';

export interface PostgresWarehousesOptions {
  /**
   * Where embedded warehouses keep their data: `join(dataDir, 'warehouses', spaceId)`. Null (tests,
   * the memory mode): a temporary folder, removed by `close()`. Not PGlite's in-memory database:
   * cancelling a step ends the thread that holds it, and with it every output committed before.
   */
  dataDir: string | null;
  /** A warehouse unused this long is closed (its thread ended, its pool emptied); the next statement opens it again. Default 60 s. */
  idleMs?: number;
  /** Connections per `warehouse` connector. Default 4. */
  poolSize?: number;
  logger?: Logger;
  /**
   * Signalbox's own database (`DATABASE_IDENTITY_SQL` run on it), when it is on a PostgreSQL
   * server: a `warehouse` connector that points there is refused (`WAREHOUSE_FORBIDDEN`).
   */
  signalbox?: () => Promise<DatabaseIdentity | null>;
}

export interface PostgresWarehouses extends Warehouses {
  of(target: WarehouseTarget): PostgresWarehouse;
}

/** Space ids name folders: nothing that could step out of the warehouses folder. */
const FOLDER_NAME = /^[A-Za-z0-9_-]+$/;

const keyOf = (target: WarehouseTarget) =>
  target.kind === 'embedded' ? JSON.stringify(['embedded', target.spaceId]) : JSON.stringify(['connector', target.connectorId, target.url, target.password]);

/**
 * The warehouses of every space: the embedded ones on PGlite (each in a worker thread, on a data
 * folder of its own) and `warehouse` connectors' PostgreSQL databases (a pool each). A connector
 * whose URL or password changes gets a new pool; the old one closes when idle.
 */
export function postgresWarehouses(options: PostgresWarehousesOptions): PostgresWarehouses {
  const idleMs = options.idleMs ?? 60_000;
  const poolSize = options.poolSize ?? 4;
  const logger = options.logger ?? silentLogger;
  const cache = new Map<string, BackendWarehouse>();
  let temporaryRoot: string | null = null;

  const dataRoot = () => {
    if (options.dataDir) return options.dataDir;
    temporaryRoot ??= mkdtempSync(join(tmpdir(), 'signalbox-warehouses-'));
    return temporaryRoot;
  };

  const create = (target: WarehouseTarget, key: string): BackendWarehouse => {
    if (target.kind === 'embedded') {
      if (!FOLDER_NAME.test(target.spaceId)) throw new Error(`space id ${JSON.stringify(target.spaceId)} cannot name a warehouse folder`);
      const name = `embedded:${target.spaceId}`;
      const backend = new PgliteBackend(() => join(dataRoot(), 'warehouses', target.spaceId), name, logger);
      return new BackendWarehouse(backend, name, { idleMs, logger });
    }
    const name = `connector:${target.connectorId}`;
    const backend = new PgBackend(
      { url: target.url, password: target.password },
      { poolSize, logger, ...(options.signalbox ? { signalbox: options.signalbox } : {}) },
    );
    // A connector's warehouse leaves the cache when idle, so pools of edited connectors do not pile up.
    const onIdleClose = () => {
      if (cache.get(key) === warehouse) cache.delete(key);
    };
    const warehouse = new BackendWarehouse(backend, name, { idleMs, logger, onIdleClose });
    return warehouse;
  };

  return {
    of(target) {
      const key = keyOf(target);
      let warehouse = cache.get(key);
      if (!warehouse) {
        warehouse = create(target, key);
        cache.set(key, warehouse);
      }
      return warehouse;
    },
    async close() {
      const open = [...cache.values()];
      cache.clear();
      await Promise.all(open.map((w) => w.close()));
      if (temporaryRoot) rmSync(temporaryRoot, { recursive: true, force: true });
      temporaryRoot = null;
    },
  };
}
