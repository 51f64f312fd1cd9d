import { type Logger, WarehouseError } from '@signalbox/core';
import pg from 'pg';
import { parseIntoClientConfig } from 'pg-connection-string';
import { type Backend, type Lease, raceAbort } from './backend-warehouse';
import type { QueryResult, Session } from './step-sql';

/** A `warehouse` connector's database: where to connect, and as whom. */
export interface PgTarget {
  /** A PostgreSQL connection URL, without its password. */
  url: string;
  password: string | null;
}

export interface PgBackendOptions {
  poolSize: number;
  logger: Logger;
  /** Signalbox's own database, where no step may run (null when it is not on a PostgreSQL server). */
  signalbox?: () => Promise<DatabaseIdentity | null>;
}

/** What tells one database of one server from every other: its name, its oid, and when its server started. */
export interface DatabaseIdentity {
  database: string;
  oid: string;
  started: string;
}

/** The query that answers a connection's `DatabaseIdentity` (any role may run it). */
export const DATABASE_IDENTITY_SQL = `SELECT current_database() AS database,
  (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database())::text AS oid,
  pg_catalog.pg_postmaster_start_time()::text AS started`;

const sameDatabase = (a: DatabaseIdentity, b: DatabaseIdentity) => a.database === b.database && a.oid === b.oid && a.started === b.started;

const CONNECT_TIMEOUT_MS = 5_000;

/**
 * SQLSTATEs that mean the connection (not the statement) failed: connection exceptions (08),
 * the server shutting down or refusing connections (57P01–57P03), authentication (28) and an
 * unknown database (3D000).
 */
const connectionFailure = (code: string) => /^(08|28)/.test(code) || /^57P0[123]$/.test(code) || code === '3D000';

const isSqlState = (code: unknown): code is string => typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code);

/** Where a target points, for messages: host, port and database, never credentials. */
function describe(config: pg.ClientConfig): string {
  return `${config.host ?? 'localhost'}:${config.port ?? 5432}/${config.database ?? ''}`;
}

/** The server process serving a client (the driver knows it from the handshake; its types do not say so). */
const backendPid = (client: pg.PoolClient) => (client as unknown as { processID?: number }).processID;

/** A `pg.Pool` per target; a lease is one client, cancelled with `pg_cancel_backend` from another connection. */
export class PgBackend implements Backend {
  private pool: pg.Pool | null = null;
  /** Settles once the target is known not to be Signalbox's own database (checked once per pool). */
  private checked: Promise<void> | null = null;
  private readonly config: pg.ClientConfig | null;
  private readonly where: string;

  constructor(
    target: PgTarget,
    private readonly options: PgBackendOptions,
  ) {
    try {
      // pg-connection-string reads anything as a URL relative to `postgres://base`: only a PostgreSQL URL is one.
      if (!/^postgres(ql)?:\/\//i.test(target.url)) throw new Error('not a PostgreSQL URL');
      const parsed = parseIntoClientConfig(target.url);
      this.config = {
        ...parsed,
        ...(target.password === null ? {} : { password: target.password }),
        application_name: 'signalbox-warehouse',
        connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      };
      this.where = describe(this.config);
    } catch {
      this.config = null;
      this.where = 'an invalid URL';
    }
  }

  async acquire(signal: AbortSignal): Promise<Lease> {
    const connecting = this.openPool().connect();
    let client: pg.PoolClient;
    try {
      client = await raceAbort(connecting, signal);
    } catch (err) {
      if (!signal.aborted) throw this.unreachable(err);
      connecting.then(
        (c) => c.release(),
        () => undefined,
      );
      throw signal.reason;
    }
    try {
      this.checked ??= this.notSignalbox(client);
      await this.checked;
    } catch (err) {
      this.checked = null;
      client.release();
      throw err;
    }
    return this.lease(client);
  }

  /**
   * Refuses a target that is Signalbox's own database (its URL written into a connector, or another
   * role on it): user SQL never runs where Signalbox keeps its tables.
   */
  private async notSignalbox(client: pg.PoolClient): Promise<void> {
    const own = await this.options.signalbox?.();
    if (!own) return;
    const { rows } = await client.query<DatabaseIdentity>(DATABASE_IDENTITY_SQL).catch((err: unknown) => {
      throw this.unreachable(err);
    });
    if (rows[0] && sameDatabase(rows[0], own)) {
      throw new WarehouseError(
        'WAREHOUSE_FORBIDDEN',
        `the warehouse at ${this.where} is Signalbox's own database: steps never run there; give the connector a database of its own`,
      );
    }
  }

  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = null;
    this.checked = null;
    await pool?.end();
  }

  private openPool(): pg.Pool {
    if (!this.config) throw new WarehouseError('WAREHOUSE_UNREACHABLE', 'the warehouse URL is not a valid PostgreSQL URL');
    if (!this.pool) {
      this.pool = new pg.Pool({ ...this.config, max: this.options.poolSize });
      // An idle client whose connection drops emits here; without a listener it would end the process.
      this.pool.on('error', (err) => this.options.logger.warn('warehouse: idle connection failed', { warehouse: this.where, error: err.message }));
    }
    return this.pool;
  }

  private lease(client: pg.PoolClient): Lease {
    let broken = false;
    let done = false;
    const onError = (err: Error) => {
      broken = true;
      this.options.logger.warn('warehouse: connection failed', { warehouse: this.where, error: err.message });
    };
    client.on('error', onError);
    const giveBack = (discard: boolean) => {
      done = true;
      client.off('error', onError);
      client.release(discard);
    };
    const session: Session = {
      query: async (sql, params = []) => {
        try {
          // Always the extended protocol: it refuses a second statement in one query text.
          const result = await client.query({ text: sql, values: params, queryMode: 'extended' } as pg.QueryConfig);
          return { rows: result.rows, fields: result.fields, affectedRows: result.rowCount ?? 0 } satisfies QueryResult;
        } catch (err) {
          const failure = this.failure(err);
          if (failure.code === 'WAREHOUSE_UNREACHABLE') broken = true;
          throw failure;
        }
      },
    };
    return {
      session,
      release: () => {
        if (!done) giveBack(broken);
      },
      cancel: async () => {
        if (done) return;
        done = true;
        try {
          await this.cancelBackend(backendPid(client));
        } finally {
          giveBack(true);
        }
      },
    };
  }

  /** Asks the server, over a connection of its own, to cancel what `pid` runs. */
  private async cancelBackend(pid: number | null | undefined): Promise<void> {
    if (!pid || !this.config) return;
    const canceller = new pg.Client({ ...this.config, application_name: 'signalbox-warehouse-cancel' });
    canceller.on('error', () => undefined);
    try {
      await canceller.connect();
      await canceller.query('SELECT pg_cancel_backend($1)', [pid]);
    } finally {
      await canceller.end().catch(() => undefined);
    }
  }

  private failure(err: unknown): WarehouseError {
    const code = (err as { code?: unknown }).code;
    if (isSqlState(code) && !connectionFailure(code)) return new WarehouseError('STEP_FAILED', (err as Error).message, code);
    return this.unreachable(err);
  }

  private unreachable(err: unknown): WarehouseError {
    if (err instanceof WarehouseError) return err;
    const code = (err as { code?: unknown }).code;
    const reason = err instanceof Error ? err.message : String(err);
    return new WarehouseError('WAREHOUSE_UNREACHABLE', `cannot reach the warehouse at ${this.where}: ${reason}`, isSqlState(code) ? code : null);
  }
}
