import { nextSyncAt } from '../../connector/connector';
import { isDomainError } from '../../errors';
import type { ConnectorRepository } from '../../ports/repositories';
import type { Logger } from '../../ports/system';
import type { SyncService } from '../../services/sync-service';
import type { PeriodicTask } from '../worker';

/**
 * Starts the scheduled syncs that are due, on every poll of every worker. Each due connector is
 * claimed by moving its `nextSyncAt` (compare-and-set), so one process wins it per interval; the
 * provisional time is where the schedule stands should that process die before the sync ends,
 * and the sync's outcome then sets the real one (the interval, or a back-off after failures). A
 * due connector whose sync still runs is skipped until its next time, never queued twice.
 */
export class SyncScheduler implements PeriodicTask {
  readonly name = 'scheduled-syncs';

  constructor(
    private readonly connectors: ConnectorRepository,
    private readonly syncs: SyncService,
    private readonly logger: Logger,
    private readonly batch = 25,
  ) {}

  async run(now: Date): Promise<void> {
    for (const connector of await this.connectors.dueForSync(now, this.batch)) {
      const due = connector.nextSyncAt;
      const next = nextSyncAt(connector.syncIntervalSeconds, connector.syncFailures, now);
      if (!due || !next || !(await this.connectors.claimScheduledSync(connector.spaceId, connector.id, due, next))) continue;
      try {
        await this.syncs.startFor(connector);
      } catch (err) {
        if (isDomainError(err) && err.code === 'SYNC_RUNNING') continue;
        // A sync that cannot even start (an unusable config, a database error) fails like any other:
        // the connector says why and backs off.
        const error = `the scheduled sync did not start: ${err instanceof Error ? err.message : String(err)}`;
        this.logger.warn('scheduled sync did not start', { connectorId: connector.id, error });
        const failures = connector.syncFailures + 1;
        await this.connectors
          .recordSync(connector.spaceId, connector.id, {
            at: now,
            status: 'failed',
            error,
            schedule: { nextSyncAt: nextSyncAt(connector.syncIntervalSeconds, failures, now), failures },
          })
          .catch((recordErr: unknown) =>
            this.logger.error('could not record a scheduled sync that did not start', { connectorId: connector.id, error: String(recordErr) }),
          );
      }
    }
  }
}
