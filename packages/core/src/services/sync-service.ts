import type { Actor } from '../access/access';
import type { Paged, PageRequest } from '../common';
import type { Connector } from '../connector/connector';
import { conflict, type DomainError, isDomainError, notFound } from '../errors';
import type { ProviderRegistry } from '../ports/provider';
import type { ConnectorRepository, PipelineRepository, SyncRepository } from '../ports/repositories';
import type { Clock, IdGenerator, Logger } from '../ports/system';
import type { UnitOfWork } from '../ports/unit-of-work';
import { runAtOf } from '../run/run';
import { emptyCounts, type SyncRecord } from '../sync/sync';
import type { SpaceAccess } from './space-access';

export interface SyncOptions {
  /** A running sync without a heartbeat for this long is taken as abandoned (its process died). */
  leaseMs: number;
}

export const DEFAULT_SYNC_OPTIONS: SyncOptions = {
  leaseMs: 2 * 60_000,
};

/** A started sync: its record as it began, and the record once it has ended. */
export interface StartedSync {
  record: SyncRecord;
  done: Promise<SyncRecord>;
}

/**
 * Connector sync: pipelines in full, runs and task runs incrementally from the connector's cursor,
 * which is the provider's own token: stored as the provider returns it and handed back unread.
 */
export class SyncService {
  constructor(
    private readonly connectors: ConnectorRepository,
    private readonly pipelines: PipelineRepository,
    private readonly syncs: SyncRepository,
    /** Each page's writes are one unit: a failure half way leaves no half-written page. */
    private readonly uow: UnitOfWork,
    private readonly registry: ProviderRegistry,
    private readonly access: SpaceAccess,
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
    private readonly logger: Logger,
    private readonly options: SyncOptions = DEFAULT_SYNC_OPTIONS,
  ) {}

  /**
   * Starts a sync and returns at once; `done` settles when it ends (it never rejects: a failure is
   * recorded on the sync record and the connector). Throws not_found | forbidden | conflict
   * (SYNC_RUNNING, with the running sync as `data`).
   */
  async start(actor: Actor, slug: string, connectorId: string): Promise<StartedSync> {
    const space = await this.access.resolve(actor, slug, 'connector:sync');
    const connector = await this.connectors.get(space.id, connectorId);
    if (!connector) throw notFound('connector', connectorId);
    return this.startFor(connector, actor.userId);
  }

  /** The same as `start` without an actor, for schedulers and the demo. */
  async startFor(connector: Connector, triggeredBy: string | null = null): Promise<StartedSync> {
    const provider = this.registry.forConnector(connector);
    const now = this.clock.now();
    const record: SyncRecord = {
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
    const begun = await this.syncs.begin(record, new Date(now.getTime() - this.options.leaseMs));
    if (!begun.started) throw conflict('SYNC_RUNNING', 'a sync of this connector is already running', begun.running);
    const done = this.run(connector, { ...record, counts: { ...record.counts } }, provider);
    return { record, done };
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

  private async run(connector: Connector, record: SyncRecord, provider: ReturnType<ProviderRegistry['forConnector']>): Promise<SyncRecord> {
    const { spaceId, id: connectorId } = connector;
    const counts = record.counts;
    const lease = new Lease(this.syncs, this.clock, record, this.options.leaseMs);
    let cursor: string | null = null;

    try {
      for await (const page of provider.pipelines()) {
        await this.uow.run((r) => r.pipelines.upsertFromProvider(connector, page, record.id, this.clock.now()));
        counts.pipelines += page.length;
        await lease.keep();
      }
      // Only a complete listing, by a sync that still holds its lease, may say a pipeline is gone.
      await lease.keep(true);
      counts.removedPipelines = await this.pipelines.markRemoved(spaceId, connectorId, record.id, this.clock.now());

      for await (const change of provider.changes(connector.cursor)) {
        if (change.kind === 'cursor') {
          cursor = change.cursor;
        } else if (change.kind === 'runs') {
          const page = change.runs;
          counts.runs += await this.uow.run(async (r) => {
            const written = await r.runs.upsertFromProvider(connector, page, this.clock.now());
            const seen = this.clock.now();
            await r.pipelines.noteLastRuns(
              spaceId,
              connectorId,
              page.map((run) => ({ pipelineExternalId: run.pipelineExternalId, status: run.status, runAt: runAtOf(run, seen) })),
            );
            return written;
          });
        } else {
          const page = change.taskRuns;
          counts.taskRuns += await this.uow.run((r) => r.taskRuns.upsertFromProvider(connector, page, this.clock.now()));
        }
        await lease.keep();
      }
      const finished: SyncRecord = { ...record, status: 'succeeded', counts, finishedAt: this.clock.now(), heartbeatAt: this.clock.now() };
      // The sync record first: only the holder of the lease may then move the connector's cursor.
      if (!(await lease.end(finished))) throw lease.lostError();
      await this.connectors.recordSync(spaceId, connectorId, {
        at: finished.finishedAt!,
        status: 'succeeded',
        error: null,
        ...(cursor === null ? {} : { cursor }),
      });
      this.logger.info('sync succeeded', { syncId: record.id, connectorId, ...counts });
      return finished;
    } catch (err) {
      const message = describe(err);
      const failed: SyncRecord = { ...record, status: 'failed', counts, error: message, finishedAt: this.clock.now(), heartbeatAt: this.clock.now() };
      this.logger.warn('sync failed', { syncId: record.id, connectorId, error: message });
      try {
        // A sync that lost its lease leaves the record and the connector to the one that took over.
        if (!lease.lost && (await lease.end(failed))) {
          await this.connectors.recordSync(spaceId, connectorId, { at: failed.finishedAt!, status: 'failed', error: message });
        }
      } catch (recordErr) {
        this.logger.error('could not record a failed sync', { syncId: record.id, error: describe(recordErr) });
      }
      return failed;
    } finally {
      lease.release();
    }
  }
}

/**
 * A running sync's hold on its connector. It beats on a timer, so a page that takes long (a slow
 * orchestrator, retries) does not let the lease lapse, and between pages; once the repository says
 * the lease is gone (another process took the sync over as abandoned), the next `keep` throws.
 */
class Lease {
  lost = false;
  private lastBeat: number;
  private readonly timer: ReturnType<typeof setInterval>;

  constructor(
    private readonly syncs: SyncRepository,
    private readonly clock: Clock,
    private readonly record: SyncRecord,
    private readonly leaseMs: number,
  ) {
    this.lastBeat = record.heartbeatAt.getTime();
    this.timer = setInterval(() => void this.beat().catch(() => undefined), Math.max(1000, leaseMs / 4));
    this.timer.unref?.();
  }

  /** Beats when a quarter of the lease has passed (or when `force`); throws once the lease is lost. */
  async keep(force = false): Promise<void> {
    if (!this.lost && (force || this.clock.now().getTime() - this.lastBeat >= this.leaseMs / 4)) await this.beat();
    if (this.lost) throw this.lostError();
  }

  /** Records the end; false when the lease was lost meanwhile. */
  async end(outcome: SyncRecord): Promise<boolean> {
    this.release();
    const held = await this.syncs.finish(outcome);
    if (!held) this.lost = true;
    return held;
  }

  release(): void {
    clearInterval(this.timer);
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
