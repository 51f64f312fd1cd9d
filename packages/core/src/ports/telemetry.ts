import type { RunStatus } from '../run/run';

/**
 * How a sync ended: `interrupted` when its worker stopped it (shutdown, its job taken over; a new
 * sync continues), `lost` when another process took its lease over and the record is that one's.
 */
export type SyncOutcome = 'succeeded' | 'failed' | 'interrupted' | 'lost';

/** Which engine ran a managed run: the embedded one (SQL on a warehouse) or a cluster engine (Argo). */
export type ManagedRunEngine = 'embedded' | 'cluster';

/**
 * What the core reports as its work ends, for metrics. Each call comes once per end, after the
 * outcome is stored, from the process that did the work. Implementations return at once and never
 * throw: a lost data point must not fail a sync or a run. `silentTelemetry` reports nowhere.
 */
export interface Telemetry {
  /** A sync ended; `durationMs` is the time its worker spent on it, not its wait in the queue. */
  syncEnded(outcome: SyncOutcome, durationMs: number): void;
  /** A managed run ended with this status (`success`, `failed`, `canceled`); `durationMs` from its start to its end. */
  managedRunEnded(outcome: RunStatus, engine: ManagedRunEngine, durationMs: number): void;
}

export const silentTelemetry: Telemetry = { syncEnded() {}, managedRunEnded() {} };

/** A database connection pool at one moment: `open` connections of at most `max`, `idle` of them unused, `waiting` queries queued for one. */
export interface PoolUse {
  max: number;
  open: number;
  idle: number;
  waiting: number;
}
