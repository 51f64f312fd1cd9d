import type { Actor } from '../access/access';
import type { Job, JobQueue } from '../background/job-queue';
import type { Paged, PageRequest } from '../common';
import { type Connector, nextSyncAt } from '../connector/connector';
import { conflict, type DomainError, isDomainError, notFound } from '../errors';
import type { ProviderRegistry } from '../ports/provider';
import type { ConnectorRepository, PipelineRepository, Repositories, RunRepository, SyncRepository, TaskRunRepository } from '../ports/repositories';
import type { Clock, IdGenerator, Logger } from '../ports/system';
import type { SyncOutcome, Telemetry } from '../ports/telemetry';
import type { UnitOfWork } from '../ports/unit-of-work';
import { readAhead } from '../sync/read-ahead';
import { emptyCounts, joinsBatch, LastRuns, mergePages, SYNC_BATCH_ROWS, SYNC_PAGES_AHEAD, type SyncRecord } from '../sync/sync';
import type { SpaceAccess } from './space-access';

export interface SyncOptions {
  /** A running sync without a heartbeat for this long is taken as abandoned (its process died). */
  leaseMs: number;
}

export const DEFAULT_SYNC_OPTIONS: SyncOptions = {
  leaseMs: 2 * 60_000,
};

/** What a queued sync job carries: the sync record it was queued for. */
export interface SyncJobPayload {
  spaceId: string;
  connectorId: string;
  syncId: string;
}

/** The job name of connector syncs. */
export const SYNC_JOB = 'sync';

/** The error of a sync its worker stopped; the job goes on as a new sync. */
export const SYNC_INTERRUPTED = 'interrupted: its worker stopped it (shutting down, or its job taken over); a new sync continues';

/**
 * Connector sync: pipelines in full, runs and task runs incrementally from the connector's cursor,
 * which is the provider's own token: stored as the provider returns it and handed back unread.
 */
export class SyncService {
  constructor(
    private readonly connectors: ConnectorRepository,
    private readonly pipelines: PipelineRepository,
    /** A batch of runs or task runs is written by one call, all or none, outside any unit of work (see `upsertFromProvider`). */
    private readonly runs: RunRepository,
    private readonly taskRuns: TaskRunRepository,
    private readonly syncs: SyncRepository,
    /** A page of pipelines is written in one unit: a failure half way leaves no half-written page. */
    private readonly uow: UnitOfWork,
    private readonly jobs: JobQueue,
    private readonly registry: ProviderRegistry,
    private readonly access: SpaceAccess,
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
    private readonly logger: Logger,
    private readonly telemetry: Telemetry,
    private readonly options: SyncOptions = DEFAULT_SYNC_OPTIONS,
  ) {}

  /**
   * Records a sync (status running) and queues it for a worker; resolves the record at once. Throws
   * not_found | forbidden | conflict (SYNC_RUNNING, with the running sync as `data`).
   */
  async start(actor: Actor, slug: string, connectorId: string): Promise<SyncRecord> {
    const space = await this.access.resolve(actor, slug, 'connector:sync');
    const connector = await this.connectors.get(space.id, connectorId);
    if (!connector) throw notFound('connector', connectorId);
    return this.startFor(connector, actor.userId);
  }

  /** The same as `start` without an actor, for the scheduler and the demo. */
  async startFor(connector: Connector, triggeredBy: string | null = null): Promise<SyncRecord> {
    this.registry.forConnector(connector); // an unusable config fails the request, not the worker
    const record = this.newRecord(connector, triggeredBy);
    const payload: SyncJobPayload = { spaceId: record.spaceId, connectorId: record.connectorId, syncId: record.id };
    // The record and its job are one unit: a record no worker will ever run cannot be left behind.
    await this.uow.run(async (r) => {
      await this.begin(record, r.syncs);
      await r.jobs.enqueue({ name: SYNC_JOB, key: `sync:${record.id}`, payload: { ...payload } }, this.ids.id(), record.startedAt);
    });
    return record;
  }

  /**
   * Runs a sync in this process, without the queue, to its end (tools and benchmarks). The result
   * never rejects: a failure is recorded on the sync record and the connector.
   */
  async runNow(connector: Connector, triggeredBy: string | null = null): Promise<SyncRecord> {
    const record = this.newRecord(connector, triggeredBy);
    await this.begin(record);
    return this.run(connector, { ...record, counts: { ...record.counts } });
  }

  /**
   * Runs a queued sync job. The sync record's heartbeat is the one lease of a sync: a job claimed
   * for the first time runs its own record; a job claimed again (its worker died, shut down, or lost
   * the job) starts a new sync, which takes over a record whose heartbeat is stale, or waits until
   * it would be when a live sync still beats it.
   */
  async runJob(job: Job, signal: AbortSignal): Promise<undefined | { retryAt: Date }> {
    const { spaceId, connectorId, syncId } = job.payload as unknown as SyncJobPayload;
    const connector = await this.connectors.get(spaceId, connectorId);
    if (!connector) return undefined; // deleted, with its syncs
    const queued = await this.syncs.get(spaceId, connectorId, syncId);
    if (job.attempts <= 1) {
      if (queued?.status !== 'running') return undefined; // taken over meanwhile
      const now = this.clock.now();
      if (!(await this.syncs.heartbeat(spaceId, syncId, now, queued.counts))) return undefined;
      this.logger.info('sync started', { syncId, connectorId });
      await this.run(connector, { ...queued, heartbeatAt: now }, signal);
      return undefined;
    }
    const record = this.newRecord(connector, queued?.triggeredBy ?? null);
    const begun = await this.syncs.begin(record, new Date(record.startedAt.getTime() - this.options.leaseMs));
    if (!begun.started) return { retryAt: new Date(begun.running.heartbeatAt.getTime() + this.options.leaseMs + 1) };
    this.logger.info('sync started', { syncId: record.id, connectorId, continues: syncId });
    await this.run(connector, record, signal);
    return undefined;
  }

  /**
   * Waits until a sync has ended, reading its record (so it works whichever process runs it), for at
   * most `timeoutMs` or until `signal` aborts (the caller went away); resolves the record as it
   * then stands. Throws not_found.
   */
  async wait(actor: Actor, slug: string, connectorId: string, syncId: string, timeoutMs: number, signal?: AbortSignal, pollMs = 200): Promise<SyncRecord> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const record = await this.get(actor, slug, connectorId, syncId);
      const left = deadline - Date.now();
      if (record.status !== 'running' || left <= 0 || signal?.aborted) return record;
      await new Promise((r) => setTimeout(r, Math.min(pollMs, left)));
    }
  }

  async list(actor: Actor, slug: string, connectorId: string, page: PageRequest): Promise<Paged<SyncRecord>> {
    const space = await this.access.resolve(actor, slug, 'space:read');
    if (!(await this.connectors.get(space.id, connectorId))) throw notFound('connector', connectorId);
    return this.syncs.list(space.id, connectorId, page);
  }

  async get(actor: Actor, slug: string, connectorId: string, syncId: string): Promise<SyncRecord> {
    const space = await this.access.resolve(actor, slug, 'space:read');
    const record = await this.syncs.get(space.id, connectorId, syncId);
    if (!record) throw notFound('sync', syncId);
    return record;
  }

  private newRecord(connector: Connector, triggeredBy: string | null): SyncRecord {
    const now = this.clock.now();
    return {
      id: this.ids.id(),
      spaceId: connector.spaceId,
      connectorId: connector.id,
      status: 'running',
      triggeredBy,
      startedAt: now,
      heartbeatAt: now,
      finishedAt: null,
      counts: emptyCounts(),
      error: null,
    };
  }

  private async begin(record: SyncRecord, syncs: SyncRepository = this.syncs): Promise<void> {
    const begun = await syncs.begin(record, new Date(record.startedAt.getTime() - this.options.leaseMs));
    if (!begun.started) throw conflict('SYNC_RUNNING', 'a sync of this connector is already running', begun.running);
  }

  private async run(connector: Connector, record: SyncRecord, signal?: AbortSignal): Promise<SyncRecord> {
    const { spaceId, id: connectorId } = connector;
    const counts = record.counts;
    const lease = new Lease(this.syncs, this.uow, this.clock, record, this.options.leaseMs, signal);
    const began = this.clock.now().getTime();
    const ended = (outcome: SyncOutcome, at: Date) => this.telemetry.syncEnded(outcome, Math.max(0, at.getTime() - began));
    let cursor: string | null = null;
    const lastRuns = new LastRuns();

    try {
      const provider = this.registry.forConnector(connector);
      for await (const page of provider.pipelines()) {
        await this.uow.run((r) => r.pipelines.upsertFromProvider(connector, page, record.id, this.clock.now()));
        counts.pipelines += page.length;
        await lease.keep();
      }
      // Only a complete listing, by a sync that still holds its lease, may say a pipeline is gone.
      await lease.keep(true);
      counts.removedPipelines = await this.pipelines.markRemoved(spaceId, connectorId, record.id, this.clock.now());

      // Runs and task runs are most of a sync: the next pages are fetched while a batch is written,
      // and the pages that arrived meanwhile are written together (ADR 0018). The pipelines listing
      // stays one page at a time: it is short, and its end decides what is marked removed, which a
      // lease lost mid-listing must prevent.
      for await (const batch of readAhead(provider.changes(connector.cursor), { ahead: SYNC_PAGES_AHEAD, joins: joinsBatch })) {
        const change = mergePages(batch);
        // A batch is written only while the lease holds: the pages it carries were fetched up to
        // ten pages earlier, and a sync that took this one over may have written newer rows since.
        // Each batch is one call that writes all its rows or none (one statement on PostgreSQL):
        // a unit of work around it would add only its BEGIN and COMMIT, two more round trips to
        // wait for, a batch at a time.
        await lease.keep();
        if (change.kind === 'runs') {
          counts.runs += await this.runs.upsertFromProvider(connector, change.runs, this.clock.now());
          lastRuns.note(change.runs, this.clock.now());
          continue;
        }
        // The runs listing is over: each pipeline's latest run is written to it once (ADR 0021).
        await this.noteLastRuns(connector, lastRuns);
        if (change.kind === 'cursor') cursor = change.cursor;
        else counts.taskRuns += await this.taskRuns.upsertFromProvider(connector, change.taskRuns, this.clock.now());
      }
      await this.noteLastRuns(connector, lastRuns);
      const finished: SyncRecord = { ...record, status: 'succeeded', counts, finishedAt: this.clock.now(), heartbeatAt: this.clock.now() };
      const schedule = await this.scheduleAfter(connector, 'succeeded', finished.finishedAt!);
      // The record and the connector's cursor move together, and only for the holder of the lease.
      const recorded = await lease.end(finished, (r) =>
        r.connectors.recordSync(spaceId, connectorId, {
          at: finished.finishedAt!,
          status: 'succeeded',
          error: null,
          ...(cursor === null ? {} : { cursor }),
          schedule,
        }),
      );
      if (!recorded) throw lease.lostError();
      this.logger.info('sync succeeded', { syncId: record.id, connectorId, ...counts });
      ended('succeeded', finished.finishedAt!);
      return finished;
    } catch (err) {
      // The last runs of the batches written are noted, though the sync failed, by a sync that
      // still holds its lease (checked now: one that took over may have noted newer ones since).
      const holdsLease =
        !lease.lost &&
        (await lease.keep(true).then(
          () => true,
          () => false,
        ));
      if (holdsLease) {
        await this.noteLastRuns(connector, lastRuns).catch((noteErr: unknown) =>
          this.logger.warn('could not note the last runs of a failed sync', { syncId: record.id, error: describe(noteErr) }),
        );
      }
      // Stopped by its worker: not the connector's failure, and the job goes on as a new sync.
      const interrupted = lease.interrupted && !lease.lost;
      const message = interrupted ? SYNC_INTERRUPTED : describe(err);
      const failed: SyncRecord = { ...record, status: 'failed', counts, error: message, finishedAt: this.clock.now(), heartbeatAt: this.clock.now() };
      this.logger.warn('sync failed', { syncId: record.id, connectorId, error: message });
      try {
        // A sync that lost its lease leaves the record and the connector to the one that took over.
        if (!lease.lost) {
          const schedule = interrupted ? undefined : await this.scheduleAfter(connector, 'failed', failed.finishedAt!);
          await lease.end(
            failed,
            schedule && ((r) => r.connectors.recordSync(spaceId, connectorId, { at: failed.finishedAt!, status: 'failed', error: message, schedule })),
          );
        }
      } catch (recordErr) {
        this.logger.error('could not record a failed sync', { syncId: record.id, error: describe(recordErr) });
      }
      ended(lease.lost ? 'lost' : interrupted ? 'interrupted' : 'failed', failed.finishedAt!);
      return failed;
    } finally {
      lease.release();
    }
  }

  /** Writes the pipelines' last runs noted and not yet written, a batch at a time, forgetting each batch once written. */
  private async noteLastRuns(connector: Connector, lastRuns: LastRuns): Promise<void> {
    for (const batch of lastRuns.batches(SYNC_BATCH_ROWS)) {
      await this.uow.run((r) => r.pipelines.noteLastRuns(connector.spaceId, connector.id, batch));
      lastRuns.forget(batch);
    }
  }

  /** The next scheduled sync after this outcome, from the connector as it is now (its interval may have changed meanwhile). */
  private async scheduleAfter(connector: Connector, status: 'succeeded' | 'failed', at: Date): Promise<{ nextSyncAt: Date | null; failures: number }> {
    const current = (await this.connectors.get(connector.spaceId, connector.id)) ?? connector;
    const failures = status === 'succeeded' ? 0 : current.syncFailures + 1;
    return { nextSyncAt: nextSyncAt(current.syncIntervalSeconds, failures, at), failures };
  }
}

/**
 * A running sync's hold on its connector: the one lease of a sync, whether it runs on a worker or
 * in the caller's process. It beats on a timer, so a page that takes long (a slow
 * orchestrator, retries) does not let the lease lapse, and between pages; once the repository says
 * the lease is gone (another process took the sync over as abandoned), the next `keep` throws.
 */
/** Thrown inside a unit of work to roll it back when the sync's record says its lease is gone. */
const LEASE_LOST = Symbol('lease lost');

class Lease {
  lost = false;
  private lastBeat: number;
  private readonly timer: ReturnType<typeof setInterval>;

  constructor(
    private readonly syncs: SyncRepository,
    private readonly uow: UnitOfWork,
    private readonly clock: Clock,
    private readonly record: SyncRecord,
    private readonly leaseMs: number,
    private readonly signal?: AbortSignal,
  ) {
    this.lastBeat = record.heartbeatAt.getTime();
    this.timer = setInterval(() => void this.beat().catch(() => undefined), Math.max(1000, leaseMs / 4));
    this.timer.unref?.();
  }

  /** Beats when a quarter of the lease has passed (or when `force`); throws once the lease is lost. */
  async keep(force = false): Promise<void> {
    if (this.interrupted) throw conflict('SYNC_INTERRUPTED', SYNC_INTERRUPTED);
    if (!this.lost && (force || this.clock.now().getTime() - this.lastBeat >= this.leaseMs / 4)) await this.beat();
    if (this.lost) throw this.lostError();
  }

  /**
   * Records the end, and `then` (the connector's side of it) in the same unit of work; false, with
   * nothing written, when the lease was lost meanwhile.
   */
  async end(outcome: SyncRecord, then?: (r: Repositories) => Promise<void>): Promise<boolean> {
    this.release();
    try {
      await this.uow.run(async (r) => {
        if (!(await r.syncs.finish(outcome))) throw LEASE_LOST;
        await then?.(r);
      });
      return true;
    } catch (err) {
      if (err !== LEASE_LOST) throw err;
      this.lost = true;
      return false;
    }
  }

  release(): void {
    clearInterval(this.timer);
  }

  /** Whether the worker asked the sync to stop (shutdown, or the job taken over). */
  get interrupted(): boolean {
    return this.signal?.aborted === true;
  }

  lostError(): DomainError {
    return conflict('SYNC_LEASE_LOST', 'this sync lost its lease to another one (no heartbeat in time) and stopped');
  }

  private async beat(): Promise<void> {
    const now = this.clock.now();
    this.lastBeat = now.getTime();
    if (!(await this.syncs.heartbeat(this.record.spaceId, this.record.id, now, this.record.counts))) this.lost = true;
  }
}

function describe(err: unknown): string {
  if (isDomainError(err) && err.provider) {
    const status = err.provider.status === null ? '' : ` ${err.provider.status}`;
    return `${err.provider.name}${status}: ${err.provider.message}`;
  }
  return err instanceof Error ? err.message : String(err);
}
