import type { Id } from '../common';
import type { Connector, ConnectorType } from '../connector/connector';
import type { JobType, VariableValue } from '../definition/spec';
import { conflict } from '../errors';
import type { RunOptions } from '../run/run';
import type { TaskRunStatus } from '../task-run/task-run';
import type { StepStatement } from './warehouse';

/** One step of a run as a cluster engine gets it: the statement the embedded engine would run, and what it waits for. */
export interface EngineStep {
  name: string;
  jobType: JobType;
  statement: StepStatement;
  /** The steps that must succeed first (the previous one: a version's steps run in order). */
  dependsOn: string[];
}

/** A managed run as handed to a cluster engine: everything to build and label its workload. */
export interface EnginePlan {
  runId: Id;
  /** The run's workload name (`workflowNameOf(runId)`): the same on every attempt, so a lost answer is found again. */
  name: string;
  spaceId: Id;
  pipeline: { id: Id; name: string };
  version: { id: Id; number: number };
  steps: EngineStep[];
  /** The run's variables, defaults filled in. */
  variables: Record<string, VariableValue>;
  options: RunOptions;
}

/** What a submission stored: the manifest sent and what the engine answered of it (kept on the run). */
export interface EngineSubmission {
  manifest: Record<string, unknown>;
  metadata: Record<string, unknown>;
}

/** One step as the engine last told it; a step the engine has not started yet is absent. */
export interface ObservedStep {
  name: string;
  status: TaskRunStatus;
  nativeStatus: string | null;
  startedAt: Date | null;
  finishedAt: Date | null;
  message: string | null;
  /** Rows the step wrote, when the engine reports them. */
  rows: number | null;
  /** An incremental source's new cursor, when the engine reports it. */
  cursor: string | null;
}

/** A submitted run as the engine tells it now. */
export interface EngineObservation {
  status: 'queued' | 'running' | 'success' | 'failed';
  nativeStatus: string | null;
  message: string | null;
  startedAt: Date | null;
  finishedAt: Date | null;
  steps: ObservedStep[];
  /** What to keep of the engine's metadata on the run (e.g. uid, resourceVersion, phase, progress). */
  metadata: Record<string, unknown>;
}

/**
 * An engine outside this process that runs a managed run's steps (Argo Workflows). Failures are
 * DomainErrors as for providers: `unavailable`, `timeout` and `rate_limited` are worth trying again;
 * others end the run.
 */
export interface ClusterEngine {
  /**
   * Submits the plan under `plan.name`; when a workload of that name exists already (an earlier
   * attempt whose answer was lost) it is adopted, never a second one. A dry run is validated by
   * the engine and stored nowhere.
   */
  submit(plan: EnginePlan): Promise<EngineSubmission>;
  /** The submitted run now. Throws `not_found` when the engine no longer knows it. */
  observe(name: string): Promise<EngineObservation>;
  /** Asks the engine to stop the run: running steps stop, later ones never start. */
  stop(name: string, message: string): Promise<void>;
}

export interface ClusterEngineFactory {
  create(connector: Connector): ClusterEngine;
}

/** Chooses a cluster engine by connector type (`argo`). */
export class ClusterEngines {
  private readonly factories = new Map<ConnectorType, ClusterEngineFactory>();

  register(type: ConnectorType, factory: ClusterEngineFactory): this {
    this.factories.set(type, factory);
    return this;
  }

  supports(type: ConnectorType): boolean {
    return this.factories.has(type);
  }

  forConnector(connector: Connector): ClusterEngine {
    const f = this.factories.get(connector.type);
    if (!f) throw conflict('ENGINE_UNAVAILABLE', `no engine is installed for connector type '${connector.type}'`);
    return f.create(connector);
  }
}
