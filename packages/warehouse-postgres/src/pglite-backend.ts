import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { type Logger, WarehouseError } from '@signalbox/core';
import { type Backend, type Lease, raceAbort } from './backend-warehouse';
import { Lock } from './lock';
import type { QueryResult } from './step-sql';

/** Plain JavaScript, shipped beside this file: a worker thread's entry is loaded by Node itself, untransformed. */
const THREAD_FILE = join(__dirname, 'pglite-thread.mjs');

type Reply = { id: number } & (
  | { rows: Record<string, unknown>[]; fields: { name: string }[]; affectedRows: number }
  | { error: ThreadError }
  | { closed: true }
);
type ThreadError = { message: string; code: string | null };
type Ready = { ready: true } | { ready: false; error: ThreadError };

/** Why a call to the thread got no answer: the thread ended (terminated, or it crashed). */
class ThreadEnded extends Error {}

/** One PGlite in a worker thread: statements in, rows out. */
class PgliteThread {
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve: (reply: Reply) => void; reject: (err: Error) => void }>();
  private nextId = 1;
  private ended: Error | null = null;
  /** Resolves when PGlite has opened its data folder; rejects with why it could not. */
  readonly ready: Promise<void>;

  constructor(dataDir: string) {
    this.worker = new Worker(THREAD_FILE, { workerData: { dataDir } });
    this.ready = new Promise((resolve, reject) => {
      this.worker.once('message', (m: Ready) => (m.ready ? resolve() : reject(new Error(m.error.message))));
      this.worker.once('exit', () => reject(this.ended ?? new ThreadEnded('the embedded warehouse stopped while opening')));
    });
    this.ready.catch(() => undefined);
    this.worker.on('message', (m: Reply | Ready) => {
      if (!('id' in m)) return;
      this.pending.get(m.id)?.resolve(m);
      this.pending.delete(m.id);
    });
    this.worker.on('error', (err) => {
      this.ended = new ThreadEnded(`the embedded warehouse stopped: ${err.message}`);
    });
    this.worker.on('exit', () => {
      this.ended ??= new ThreadEnded('the embedded warehouse stopped');
      for (const call of this.pending.values()) call.reject(this.ended);
      this.pending.clear();
    });
  }

  get alive(): boolean {
    return this.ended === null;
  }

  call(message: { sql: string; params: unknown[] } | { close: true }): Promise<Reply> {
    if (this.ended) return Promise.reject(this.ended);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      try {
        this.worker.postMessage({ id, ...message });
      } catch (err) {
        this.pending.delete(id);
        reject(err);
      }
    });
  }

  async query(sql: string, params: unknown[]): Promise<QueryResult> {
    const reply = await this.call({ sql, params });
    if ('error' in reply) throw new WarehouseError('STEP_FAILED', reply.error.message, reply.error.code);
    if (!('rows' in reply)) throw new Error('the embedded warehouse answered a query with no rows');
    return { rows: reply.rows, fields: reply.fields, affectedRows: reply.affectedRows };
  }

  /** Closes PGlite cleanly (its files as after a shutdown), then ends the thread. */
  async close(): Promise<void> {
    try {
      if (this.alive) await this.call({ close: true });
    } finally {
      await this.terminate();
    }
  }

  async terminate(): Promise<void> {
    this.ended ??= new ThreadEnded('the embedded warehouse was stopped');
    await this.worker.terminate();
  }
}

const statementOrStop = (err: unknown): WarehouseError => {
  if (err instanceof WarehouseError) return err;
  if (err instanceof ThreadEnded) return new WarehouseError('WAREHOUSE_UNREACHABLE', err.message);
  return new WarehouseError('STEP_FAILED', err instanceof Error ? err.message : String(err));
};

/**
 * A space's embedded warehouse: PGlite in a worker thread, so a user's query never blocks the
 * event loop. PGlite has one connection, so one lease at a time (a step's whole transaction);
 * cancelling terminates the thread and the next lease starts a new one on the same folder.
 */
export class PgliteBackend implements Backend {
  private readonly lock = new Lock();
  private thread: PgliteThread | null = null;

  /** `folder` is asked on each start, so a temporary one is made only when a thread first needs it. */
  constructor(
    private readonly folder: () => string,
    private readonly name: string,
    private readonly logger: Logger,
  ) {}

  async acquire(signal: AbortSignal): Promise<Lease> {
    const unlock = await this.lock.acquire(signal);
    const starting = this.started();
    let thread: PgliteThread;
    try {
      thread = await raceAbort(starting, signal);
    } catch (err) {
      // Aborted while the thread was starting: the next in line gets it once it is up (or has failed).
      starting.then(unlock, unlock);
      throw err;
    }
    return this.lease(thread, unlock);
  }

  async close(): Promise<void> {
    const unlock = await this.lock.acquire();
    try {
      const thread = this.thread;
      this.thread = null;
      await thread?.close();
    } finally {
      unlock();
    }
  }

  /** The running thread, or a new one once PGlite has opened the folder. */
  private async started(): Promise<PgliteThread> {
    if (this.thread?.alive) return this.thread;
    this.thread = null;
    const startedAt = Date.now();
    let thread: PgliteThread | undefined;
    try {
      const dataDir = this.folder();
      mkdirSync(dataDir, { recursive: true });
      thread = new PgliteThread(dataDir);
      await thread.ready;
    } catch (err) {
      await thread?.terminate();
      throw new WarehouseError(
        'WAREHOUSE_UNREACHABLE',
        `the embedded warehouse ${this.name} could not open: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
    this.logger.info('warehouse started', { warehouse: this.name, ms: Date.now() - startedAt });
    this.thread = thread;
    return thread;
  }

  private lease(thread: PgliteThread, unlock: () => void): Lease {
    let done = false;
    return {
      session: {
        query: (sql, params = []) => thread.query(sql, params).catch((err) => Promise.reject(statementOrStop(err))),
      },
      release: () => {
        if (done) return;
        done = true;
        if (!thread.alive && this.thread === thread) this.thread = null;
        unlock();
      },
      cancel: async () => {
        if (done) return;
        done = true;
        if (this.thread === thread) this.thread = null;
        try {
          await thread.terminate();
          this.logger.info('warehouse stopped (cancelled)', { warehouse: this.name });
        } finally {
          unlock();
        }
      },
    };
  }
}
