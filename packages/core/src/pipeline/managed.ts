import type { Id } from '../common';
import type { PipelineSpec } from '../definition/definition';
import type { DefinitionFormat } from '../ports/definition-tools';

/** Where a pipeline comes from: found by a connector's sync, or defined in Signalbox. */
export const PIPELINE_ORIGINS = ['synced', 'managed'] as const;
export type PipelineOrigin = (typeof PIPELINE_ORIGINS)[number];

/** The `provider` of every managed pipeline. */
export const MANAGED_PROVIDER = 'managed';

/** A version as the pipeline that holds it shows it (`current_version`): no source, no spec. */
export interface VersionInfo {
  id: Id;
  /** 1, 2, 3 … per pipeline. */
  number: number;
  /** The user's own label, e.g. "1.0". */
  version: string | null;
  /** sha256 of the normalized spec: equal content, equal hash. */
  specHash: string;
  createdAt: Date;
  createdBy: Id | null;
  message: string | null;
}

/** An immutable snapshot of a managed pipeline's definition. */
export interface PipelineVersion extends VersionInfo {
  spaceId: Id;
  pipelineId: Id;
  /** The text exactly as sent. */
  source: string;
  format: DefinitionFormat;
  /** The normalized definition, steps in run order. */
  spec: PipelineSpec;
}

/** What only a managed pipeline has. */
export interface ManagedFields {
  /** `embedded`, or the name of an `argo` connector. */
  engine: string;
  warehouse: string | null;
  maxActiveRuns: number;
  timeoutSeconds: number | null;
  currentVersion: VersionInfo;
}

export const versionInfo = (v: VersionInfo): VersionInfo => ({
  id: v.id,
  number: v.number,
  version: v.version,
  specHash: v.specHash,
  createdAt: v.createdAt,
  createdBy: v.createdBy,
  message: v.message,
});
