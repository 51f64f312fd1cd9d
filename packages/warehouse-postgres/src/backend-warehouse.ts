import type { Logger, StepOutcome, StepPlan, StepStatement, Warehouse } from '@signalbox/core';
import { ensureLedger, executeStep, planSteps, readOnly, type Session } from './step-sql';

/** One connection lent by a backend for one piece of work. */
export interface Lease {
  session: Session;
  /** Gives the connection back after the work ended (successfully or not, but not cancelled). */
  release(): void;
  /**
   * Cancels whatever the connection is running and discards it: the open transaction is lost, so
   * rolled back. Resolves once the backend is ready for the next lease.
   */
  cancel(): Promise<void>;
}

/** A warehouse's connections: opened on the first lease, closed when idle or at shutdown. */
export interface Backend {
  /** Waits for a connection (starting or connecting first if needed); rejects with `signal.reason` if aborted meanwhile. */
  acquire(signal: AbortSignal): Promise<Lease>;
  /** Lets the running leases finish (or fail), then closes. The next `acquire` opens again. */
  close(): Promise<void>;
}

/** A warehouse with more than the port: a read-only query, for previews and tests. */
export interface PostgresWarehouse extends Warehouse {
  /** One query in a read-only transaction; answers its rows as the driver parsed them. */
  read(sql: string, params: unknown[], signal: AbortSignal): Promise<Record<string, unknown>[]>;
}

/** Rejects with the abort reason as soon as `signal` aborts; otherwise settles as `work` does. */
export function raceAbort<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** A session that refuses every statement once `signal` has aborted, so a cancelled step issues nothing more. */
const guarded = (session: Session, signal: AbortSignal): Session => ({
  query: (sql, params) => (signal.aborted ? Promise.reject(signal.reason) : session.query(sql, params)),
});

export interface BackendWarehouseOptions {
  idleMs: number;
  logger: Logger;
  /** Called after the backend was closed for being idle. */
  onIdleClose?: () => void;
}

/** The port on a backend: a lease per call, cancelled when the signal aborts; the backend closed after `idleMs` unused. */
export class BackendWarehouse implements PostgresWarehouse {
  private busy = 0;
  private idleTimer: NodeJS.Timeout | undefined;
  private ledgerReady = false;

  constructor(
    private readonly backend: Backend,
    private readonly name: string,
    private readonly options: BackendWarehouseOptions,
  ) {}

  execute(step: StepStatement, signal: AbortSignal): Promise<StepOutcome> {
    return this.use(signal, async (s) => {
      if (!this.ledgerReady) {
        await ensureLedger(s);
        this.ledgerReady = true;
      }
      return executeStep(s, step);
    });
  }

  plan(steps: StepStatement[], signal: AbortSignal): Promise<StepPlan[]> {
    return this.use(signal, (s) => planSteps(s, steps));
  }

  read(sql: string, params: unknown[], signal: AbortSignal): Promise<Record<string, unknown>[]> {
    return this.use(signal, (s) => readOnly(s, sql, params));
  }

  /** Closes the backend now (shutdown). */
  async close(): Promise<void> {
    clearTimeout(this.idleTimer);
    this.ledgerReady = false;
    await this.backend.close();
  }

  private async use<T>(signal: AbortSignal, work: (s: Session) => Promise<T>): Promise<T> {
    if (signal.aborted) throw signal.reason;
    this.busy++;
    clearTimeout(this.idleTimer);
    try {
      return await this.onLease(signal, work);
    } finally {
      this.busy--;
      if (this.busy === 0) this.armIdleTimer();
    }
  }

  private async onLease<T>(signal: AbortSignal, work: (s: Session) => Promise<T>): Promise<T> {
    const lease = await this.backend.acquire(signal);
    const cancel = () => {
      lease.cancel().catch((err) => this.options.logger.warn('warehouse: cancelling failed', { warehouse: this.name, error: String(err) }));
    };
    if (signal.aborted) {
      lease.release();
      throw signal.reason;
    }
    signal.addEventListener('abort', cancel, { once: true });
    const running = work(guarded(lease.session, signal));
    try {
      const result = await raceAbort(running, signal);
      lease.release();
      return result;
    } catch (err) {
      if (!signal.aborted) lease.release();
      running.catch(() => undefined);
      throw signal.aborted ? signal.reason : err;
    } finally {
      signal.removeEventListener('abort', cancel);
    }
  }

  private armIdleTimer() {
    this.idleTimer = setTimeout(() => void this.closeIdle(), this.options.idleMs);
    this.idleTimer.unref();
  }

  private async closeIdle() {
    if (this.busy > 0) return;
    this.ledgerReady = false;
    try {
      await this.backend.close();
      this.options.logger.info('warehouse closed (idle)', { warehouse: this.name });
      this.options.onIdleClose?.();
    } catch (err) {
      this.options.logger.warn('warehouse: closing failed', { warehouse: this.name, error: String(err) });
    }
  }
}
