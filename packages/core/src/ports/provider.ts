import type { Connector, ConnectorConfig, ConnectorType } from '../connector/connector';
import { invalid } from '../errors';
import type { ProviderPipeline } from '../pipeline/pipeline';
import type { ProviderRun } from '../run/run';
import type { ProviderTaskRun } from '../task-run/task-run';

export interface ProviderInfo {
  /** e.g. `airflow`. */
  name: string;
  /** The orchestrator's own version string, when it tells. */
  version: string | null;
  /** The API dialect used, e.g. `v1` or `v2`. */
  apiVersion: string | null;
}

export interface TriggerRequest {
  /** The run id to create: derived from the idempotency key so a retry names the same run. */
  runId: string;
  conf: Record<string, unknown> | null;
  note: string | null;
  logicalDate: Date | null;
}

/**
 * One page of a change listing. Runs and task runs come in pages of their own; the last page of a
 * complete listing is the cursor to resume from.
 */
export type ChangePage = { kind: 'runs'; runs: ProviderRun[] } | { kind: 'taskRuns'; taskRuns: ProviderTaskRun[] } | { kind: 'cursor'; cursor: string };

/**
 * What the core needs of an orchestrator. Pages are async iterables so a sync streams them into
 * batched writes and never holds a whole instance in memory. Failures are DomainErrors: `not_found`
 * for an unknown pipeline or run, `conflict` for a run id that exists, `bad_gateway` when the
 * orchestrator refuses our credentials, `unavailable` when it cannot be reached, `timeout`, and for
 * any other answer the kind nearest the orchestrator's status with `provider` set.
 */
export interface OrchestrationProvider {
  /** Checks that the orchestrator answers and accepts our credentials. */
  check(): Promise<ProviderInfo>;
  /** Every pipeline, page by page (there is no change filter on pipelines). */
  pipelines(): AsyncIterable<ProviderPipeline[]>;
  /**
   * Runs and task runs changed since `cursor`, page by page, then the next cursor. `cursor` is
   * opaque to the core: null on a first sync (the provider decides how far back to look), else a
   * value this provider's `changes` returned before, handed back unread. Every runs page comes before
   * every task runs page, so a task run's run is known when it arrives. The iteration ends with
   * exactly one `cursor` page, and only after a complete listing: a caller that stores it once every
   * earlier page is written misses no change, because the provider places it no later than the
   * first moment its listing could have missed one. Pages seen twice are harmless (writes are upserts).
   */
  changes(cursor: string | null): AsyncIterable<ChangePage>;
  /** Creates a run. Throws `conflict` code `RUN_EXISTS` when `runId` exists already. */
  trigger(pipelineExternalId: string, request: TriggerRequest): Promise<ProviderRun>;
  getRun(pipelineExternalId: string, runExternalId: string): Promise<ProviderRun>;
  /**
   * Stops a run in the orchestrator: marks it failed there (Airflow has no "canceled" run state;
   * its running task instances stop). Resolves the run as the orchestrator then tells it.
   * Throws `not_found` for an unknown run.
   */
  cancelRun(pipelineExternalId: string, runExternalId: string): Promise<ProviderRun>;
  /**
   * Runs a run's failed task instances again: clears them (and the tasks downstream of them) in
   * the orchestrator, which then schedules them; the run is queued or running again. Resolves the
   * run as the orchestrator then tells it. Throws `not_found` for an unknown run.
   */
  retryRun(pipelineExternalId: string, runExternalId: string): Promise<ProviderRun>;
  /** Pauses or unpauses a pipeline in the orchestrator itself. Idempotent. Throws `not_found` for an unknown pipeline. */
  setPaused(pipelineExternalId: string, paused: boolean): Promise<void>;
}

/** How to make and configure the provider of one connector type. */
export interface ProviderFactory {
  /** Makes the provider for a connector (its config holds the secrets in clear). */
  create(connector: Connector): OrchestrationProvider;
  /**
   * Checks a connector config of this type and returns it normalized. Throws `invalid` naming the
   * field as `config.<key>`.
   */
  checkConfig(config: ConnectorConfig): ConnectorConfig;
  /**
   * When true, a connector of this type is checked (`check()`) before it is created, and not
   * created when the orchestrator refuses the credentials or cannot be reached.
   */
  checkOnCreate?: boolean;
}

/** Chooses a provider by connector type. */
export class ProviderRegistry {
  private readonly factories = new Map<ConnectorType, ProviderFactory>();

  register(type: ConnectorType, factory: ProviderFactory): this {
    this.factories.set(type, factory);
    return this;
  }

  supports(type: ConnectorType): boolean {
    return this.factories.has(type);
  }

  /** The factory for a type; throws `invalid` on field `type` when none is registered. */
  factory(type: ConnectorType): ProviderFactory {
    const f = this.factories.get(type);
    if (!f) throw invalid('type', `no provider is installed for connector type '${type}'`);
    return f;
  }

  forConnector(connector: Connector): OrchestrationProvider {
    return this.factory(connector.type).create(connector);
  }
}
