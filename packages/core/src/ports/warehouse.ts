import type { Id } from '../common';
import type { JobType, LoadMode } from '../definition/spec';
import type { StepPlan } from '../task-run/task-run';

/*
 * Where the embedded engine runs a managed pipeline's SQL: a PostgreSQL database that is never
 * Signalbox's own. The core says what each step writes and with which bound values; the adapter
 * owns the SQL that writes it (create, swap, insert, merge), the transaction and the cancelling.
 */

/** Which warehouse: the space's embedded one (PGlite, in a data folder of its own), or a `warehouse` connector's database. */
export type WarehouseTarget =
  | { kind: 'embedded'; spaceId: Id }
  | {
      kind: 'connector';
      spaceId: Id;
      connectorId: Id;
      /** A PostgreSQL connection URL, without its password. */
      url: string;
      password: string | null;
    };

/** A table in the warehouse: its schema and name, as unquoted identifiers. */
export interface TableName {
  schema: string;
  name: string;
}

/** One step as the warehouse runs it. */
export interface StepStatement {
  /** With `step`, the key of the warehouse's record that the step's output was committed. */
  runId: Id;
  step: string;
  jobType: JobType;
  /** One SQL statement (a query), its variables rewritten to `$1`, `$2` … */
  sql: string;
  /** The values of `$1`, `$2` …, bound, never spliced. */
  params: unknown[];
  /**
   * Schemas to resolve unqualified names in, first first: the pipeline's staging schema (where
   * its datasets live), then `public`.
   */
  searchPath: string[];
  /**
   * Where the query's rows go; null for a step that names no output dataset, whose statement runs
   * as it is (its rows: those it affected).
   */
  output: TableName | null;
  /** `replace` swaps the table's contents in the step's transaction; `append` adds rows; `merge` upserts on `key`. */
  mode: LoadMode;
  key?: string[];
  /** An incremental source's cursor column: the step answers the greatest value it wrote, as text. */
  cursorColumn?: string;
}

export interface StepOutcome {
  /** Rows the step wrote (for a merge, inserted plus updated). */
  rows: number;
  /** The greatest `cursorColumn` value written, as text; null without a cursor column or without rows. */
  cursor: string | null;
  /** True when the warehouse had committed this step of this run before (a run resumed after a crash): nothing ran again. */
  replayed: boolean;
}

/**
 * A warehouse of one target. Every failure is a `WarehouseError`, or the abort reason of `signal`
 * when it was aborted.
 */
export interface Warehouse {
  /**
   * Writes a step's output in one transaction, together with the record that the step of this run
   * was committed; when that record exists already, answers what it says and runs nothing (so a
   * resumed run writes each row once). Aborting `signal` cancels the running statement and rolls
   * back: the previous contents stay.
   */
  execute(step: StepStatement, signal: AbortSignal): Promise<StepOutcome>;
  /**
   * Plans every step (PostgreSQL's EXPLAIN, with the bound values) inside one transaction that is
   * rolled back; each step's output is stood in by an empty table of its shape for the steps after
   * it. Changes nothing in the warehouse.
   */
  plan(steps: StepStatement[], signal: AbortSignal): Promise<StepPlan[]>;
}

/** Opens warehouses on first use and closes them when idle. */
export interface Warehouses {
  /** The warehouse of a target; cheap: it connects (or starts) on its first statement. */
  of(target: WarehouseTarget): Warehouse;
  /** Closes every open warehouse (shutdown). */
  close(): Promise<void>;
}

/**
 * Why a warehouse refused: the statement's own error, no connection at all, or a connection to
 * Signalbox's own database (where no step may run).
 */
export type WarehouseErrorCode = 'STEP_FAILED' | 'WAREHOUSE_UNREACHABLE' | 'WAREHOUSE_FORBIDDEN';

/** A failure of the warehouse, with the database's message (and SQLSTATE when it gave one). */
export class WarehouseError extends Error {
  constructor(
    readonly code: WarehouseErrorCode,
    message: string,
    readonly sqlState: string | null = null,
  ) {
    super(message);
    this.name = 'WarehouseError';
  }
}

export const isWarehouseError = (err: unknown): err is WarehouseError => err instanceof WarehouseError;
