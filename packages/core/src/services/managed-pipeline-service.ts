import type { Actor } from '../access/access';
import type { CronSchedules } from '../background/cron';
import type { Id, Paged, PageRequest } from '../common';
import type { ConnectorType } from '../connector/connector';
import { type CheckedDefinition, checkDefinition, type DefinitionTools, EMBEDDED_ENGINE, type PipelineSpec } from '../definition/definition';
import { canonicalJson, specHash } from '../definition/spec-hash';
import { conflict, DomainError, type ErrorDetail, invalid, notFound } from '../errors';
import { MANAGED_PROVIDER, type PipelineVersion, versionInfo } from '../pipeline/managed';
import type { Pipeline } from '../pipeline/pipeline';
import type { DefinitionFormat, DefinitionReader, ParsedText, SqlParser, TextDiffer } from '../ports/definition-tools';
import type { ProviderRegistry } from '../ports/provider';
import type { ConnectorRepository, PipelineRepository, PipelineVersionRepository } from '../ports/repositories';
import type { Clock, Hasher, IdGenerator } from '../ports/system';
import type { UnitOfWork } from '../ports/unit-of-work';
import type { PipelineDetail, PipelineService } from './pipeline-service';
import type { SpaceAccess } from './space-access';

/**
 * What the managed pipeline use cases need to read definitions: the definition check (the core's
 * `checkDefinition` over the adapters), the hash of a normalized spec, the reader (for the fields
 * of a request that are not part of the definition) and text diffs.
 */
export interface DefinitionSupport {
  check(text: string, format: DefinitionFormat): Promise<CheckedDefinition>;
  /** `spec_hash`: equal for equal specs, whatever their text. */
  hash(spec: PipelineSpec): Promise<string>;
  reader: DefinitionReader;
  diff: TextDiffer;
  /** The SQL parser of the checks: the engine rewrites a query's variables with it. */
  sql: SqlParser;
}

/**
 * The definition support of a running service: `checkDefinition` over the adapters, and the spec
 * hash by `hasher` (sha256) of the spec's canonical JSON.
 */
export function definitionSupport(tools: DefinitionTools & { diff: TextDiffer }, hasher: Hasher): DefinitionSupport {
  return {
    check: (text, format) => checkDefinition(text, format, tools),
    hash: (spec) => specHash(spec, hasher),
    reader: tools.reader,
    diff: tools.diff,
    sql: tools.sql,
  };
}

/** A definition as a request carries it: the text exactly as sent and its format. */
export interface DefinitionText {
  text: string;
  format: DefinitionFormat;
}

/** What `…/validate` answers. Nothing is stored. */
export interface ValidationResult {
  valid: boolean;
  errors: ErrorDetail[];
  warnings: ErrorDetail[];
  /** The normalized steps in run order; empty when invalid. */
  steps: PipelineSpec['steps'];
}

/** A diff of two versions: the unified text diff of their sources, and step names by change. */
export interface VersionDiff {
  from: PipelineVersion | null;
  to: PipelineVersion;
  textDiff: string;
  steps: { added: string[]; removed: string[]; changed: string[] };
}

/** A write that may have left the pipeline as it was (same content): `created` says whether a version was added. */
export interface VersionWrite {
  pipeline: PipelineDetail;
  created: boolean;
}

/**
 * Request fields that travel with a definition but are not part of it: removed from the checker's
 * findings, read here. `base_version` makes an update conditional; `message` describes the version.
 */
const REQUEST_FIELDS = ['/base_version', '/message'];
const MAX_MESSAGE_LENGTH = 1000;

/** `If-Match: "3"` (or `3`, or a weak `W/"3"`): the version number an update is based on. */
const IF_MATCH = /^\s*(?:W\/)?"?([1-9][0-9]{0,8})"?\s*$/;

/**
 * Managed pipelines: defined in Signalbox from a JSON or YAML definition, kept as immutable
 * versions. Reads of a managed pipeline (`get`, `list`) are PipelineService's, as for synced ones.
 */
export class ManagedPipelineService {
  constructor(
    private readonly pipelines: PipelineRepository,
    private readonly versions: PipelineVersionRepository,
    private readonly connectors: ConnectorRepository,
    private readonly uow: UnitOfWork,
    private readonly registry: ProviderRegistry,
    private readonly access: SpaceAccess,
    private readonly reads: PipelineService,
    private readonly definitions: DefinitionSupport | undefined,
    private readonly cron: CronSchedules | undefined,
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
    private readonly settings: { embeddedWarehouse: boolean; clusterEngines?: readonly ConnectorType[] } = { embeddedWarehouse: true },
  ) {}

  /** Checks a definition and stores nothing. Any member may. Throws not_found | forbidden only. */
  async validate(actor: Actor, slug: string, input: DefinitionText): Promise<ValidationResult> {
    const space = await this.access.resolve(actor, slug, 'space:read');
    const read = await this.read(input, space.id);
    if (!read.ok) return { valid: false, errors: read.errors, warnings: read.warnings, steps: [] };
    return { valid: true, errors: [], warnings: read.warnings, steps: read.spec.steps };
  }

  /**
   * Creates a managed pipeline with version 1. Throws invalid DEFINITION_INVALID (one detail per
   * problem, with line and column) | conflict PIPELINE_EXISTS | not_found | forbidden.
   */
  async create(actor: Actor, slug: string, input: DefinitionText): Promise<PipelineDetail> {
    const space = await this.access.resolve(actor, slug, 'pipeline:define');
    const def = await this.mustRead(input, space.id);
    const now = this.clock.now();
    const id = this.ids.id();
    const version = this.versionOf(space.id, id, 1, def, actor, now);
    const pipeline: Pipeline = {
      ...this.definitionFields(def.spec, false, now),
      id,
      spaceId: space.id,
      origin: 'managed',
      connectorId: null,
      provider: MANAGED_PROVIDER,
      paused: false,
      teamId: null,
      criticality: null,
      lastRunStatus: null,
      lastRunAt: null,
      removedAt: null,
      createdAt: now,
      updatedAt: now,
      managed: this.managedFields(def.spec, version),
    };
    await this.uow.run(async (r) => {
      await r.pipelines.createManaged(pipeline);
      await r.versions.create(version);
    });
    return this.reads.get(actor, slug, id);
  }

  /**
   * Replaces the definition: a new version n+1 when the normalized content changed, else nothing
   * (`created` false). With a base version (`base_version` in the definition's request fields, or
   * `ifMatch`), a current version other than the base is conflict VERSION_CONFLICT; of two
   * concurrent updates from one version, one wins and the other is VERSION_CONFLICT. Throws
   * invalid | not_found | forbidden | conflict PIPELINE_NOT_MANAGED, PIPELINE_EXISTS.
   */
  async update(actor: Actor, slug: string, id: Id, input: DefinitionText & { ifMatch?: string }): Promise<VersionWrite> {
    const space = await this.access.resolve(actor, slug, 'pipeline:define');
    const current = await this.managedPipeline(space.id, id);
    const ifMatch = input.ifMatch === undefined ? undefined : parseIfMatch(input.ifMatch);
    const def = await this.mustRead(input, space.id);
    const base = def.baseVersion ?? ifMatch;
    return this.writeVersion(actor, slug, current, def, base);
  }

  /** Versions of a managed pipeline, newest first. Throws not_found | conflict PIPELINE_NOT_MANAGED. */
  async listVersions(actor: Actor, slug: string, id: Id, page: PageRequest): Promise<Paged<PipelineVersion>> {
    const space = await this.access.resolve(actor, slug, 'space:read');
    await this.managedPipeline(space.id, id);
    return this.versions.list(space.id, id, page);
  }

  /** One version with its source and spec. Throws not_found (also for a version of another pipeline). */
  async getVersion(actor: Actor, slug: string, id: Id, versionId: Id): Promise<PipelineVersion> {
    const space = await this.access.resolve(actor, slug, 'space:read');
    await this.managedPipeline(space.id, id);
    return this.version(space.id, id, versionId);
  }

  /**
   * The diff from `againstId` (default: the version before it; none for version 1) to `versionId`.
   * Throws not_found.
   */
  async diff(actor: Actor, slug: string, id: Id, versionId: Id, againstId?: Id): Promise<VersionDiff> {
    const space = await this.access.resolve(actor, slug, 'space:read');
    await this.managedPipeline(space.id, id);
    const to = await this.version(space.id, id, versionId);
    let from: PipelineVersion | null = null;
    if (againstId !== undefined) {
      from = (await this.versions.get(space.id, id, againstId)) ?? null;
      if (!from) throw invalid('against', `no version '${againstId}' of this pipeline`, 'VERSION_NOT_FOUND');
    } else if (to.number > 1) {
      from = (await this.versions.getByNumber(space.id, id, to.number - 1)) ?? null;
    }
    const before = new Map((from?.spec.steps ?? []).map((s) => [s.name, canonicalJson(s)]));
    const after = new Map(to.spec.steps.map((s) => [s.name, canonicalJson(s)]));
    const textDiff = this.tools().diff.unified(from?.source ?? '', to.source, {
      before: from ? `version ${from.number}` : 'nothing',
      after: `version ${to.number}`,
    });
    return {
      from,
      to,
      textDiff,
      steps: {
        added: [...after.keys()].filter((n) => !before.has(n)),
        removed: [...before.keys()].filter((n) => !after.has(n)),
        changed: [...after.keys()].filter((n) => before.has(n) && before.get(n) !== after.get(n)),
      },
    };
  }

  /**
   * Makes a new version with an old one's content (its source, format and spec); the current
   * version's content again changes nothing. Throws not_found | conflict VERSION_CONFLICT when
   * another update wins meanwhile.
   */
  async restore(actor: Actor, slug: string, id: Id, versionId: Id, message?: string | null): Promise<VersionWrite> {
    const space = await this.access.resolve(actor, slug, 'pipeline:define');
    const current = await this.managedPipeline(space.id, id);
    const old = await this.version(space.id, id, versionId);
    if (message != null && message.length > MAX_MESSAGE_LENGTH) throw invalid('message', `must be at most ${MAX_MESSAGE_LENGTH} characters`);
    const def: ReadDefinition = {
      text: old.source,
      format: old.format,
      spec: old.spec,
      hash: old.specHash,
      message: message ?? `restored from version ${old.number}`,
      baseVersion: undefined,
    };
    return this.writeVersion(actor, slug, current, def, undefined);
  }

  /** The id of the space's managed pipeline named `name` (any member may). Throws not_found. */
  async idByName(actor: Actor, slug: string, name: string): Promise<Id> {
    const space = await this.access.resolve(actor, slug, 'space:read');
    const p = await this.pipelines.getManagedByName(space.id, name);
    if (!p) throw notFound('pipeline', name);
    return p.id;
  }

  /**
   * Deletes a managed pipeline with its versions, runs, task runs, comments and watches, in one
   * unit. Throws not_found | conflict PIPELINE_NOT_MANAGED for a synced pipeline.
   */
  async delete(actor: Actor, slug: string, id: Id): Promise<void> {
    const space = await this.access.resolve(actor, slug, 'pipeline:define');
    await this.managedPipeline(space.id, id);
    const deleted = await this.uow.run((r) => r.pipelines.deleteManaged(space.id, id));
    if (!deleted) throw notFound('pipeline', id);
  }

  /**
   * Pauses or resumes. A managed pipeline's schedule stops (`nextRunAt` null) and restarts from
   * now; a synced pipeline is paused in its orchestrator first, then here. Idempotent. Throws
   * not_found | forbidden | conflict PIPELINE_REMOVED | provider errors.
   */
  async setPaused(actor: Actor, slug: string, id: Id, paused: boolean): Promise<PipelineDetail> {
    const space = await this.access.resolve(actor, slug, 'pipeline:pause');
    const p = await this.pipelines.get(space.id, id);
    if (!p) throw notFound('pipeline', id);
    const now = this.clock.now();
    if (p.origin === 'managed') {
      await this.pipelines.setPaused(space.id, id, paused, this.nextRun(p.schedule, paused, now), now);
    } else {
      if (p.removedAt) throw conflict('PIPELINE_REMOVED', `pipeline '${id}' is no longer in its orchestrator`);
      const connector = p.connectorId === null ? undefined : await this.connectors.get(space.id, p.connectorId);
      if (!connector) throw notFound('connector', p.connectorId ?? '');
      await this.registry.forConnector(connector).setPaused(p.externalId, paused);
      await this.pipelines.setPaused(space.id, id, paused, p.nextRunAt, now);
    }
    return this.reads.get(actor, slug, id);
  }

  private async writeVersion(actor: Actor, slug: string, current: ManagedPipeline, def: ReadDefinition, base: number | undefined): Promise<VersionWrite> {
    const n = current.managed.currentVersion.number;
    if (base !== undefined && base !== n) throw versionConflict(n, base);
    if (def.hash === current.managed.currentVersion.specHash) {
      return { pipeline: await this.reads.get(actor, slug, current.id), created: false };
    }
    const now = this.clock.now();
    const version = this.versionOf(current.spaceId, current.id, n + 1, def, actor, now);
    const next: Pipeline = {
      ...current,
      ...this.definitionFields(def.spec, current.paused, now),
      updatedAt: now,
      managed: this.managedFields(def.spec, version),
    };
    await this.uow.run(async (r) => {
      if (!(await r.pipelines.updateManaged(next, n))) {
        const stored = await r.pipelines.get(current.spaceId, current.id);
        if (!stored) throw notFound('pipeline', current.id);
        throw versionConflict(stored.managed?.currentVersion.number ?? n, n);
      }
      await r.versions.create(version);
    });
    return { pipeline: await this.reads.get(actor, slug, current.id), created: true };
  }

  private async managedPipeline(spaceId: Id, id: Id): Promise<ManagedPipeline> {
    const p = await this.pipelines.get(spaceId, id);
    if (!p) throw notFound('pipeline', id);
    if (p.origin !== 'managed' || !p.managed) {
      throw conflict('PIPELINE_NOT_MANAGED', `pipeline '${id}' is synced from its orchestrator: change it there`);
    }
    return p as ManagedPipeline;
  }

  private async version(spaceId: Id, pipelineId: Id, versionId: Id): Promise<PipelineVersion> {
    const v = await this.versions.get(spaceId, pipelineId, versionId);
    if (!v) throw notFound('version', versionId);
    return v;
  }

  private definitionFields(spec: PipelineSpec, paused: boolean, now: Date) {
    return {
      name: spec.name,
      externalId: spec.name,
      description: spec.description,
      owner: spec.owner,
      tags: spec.tags,
      schedule: spec.schedule,
      nextRunAt: this.nextRun(spec.schedule, paused, now),
    };
  }

  private managedFields(spec: PipelineSpec, version: PipelineVersion): NonNullable<Pipeline['managed']> {
    return {
      engine: spec.engine,
      warehouse: spec.warehouse,
      maxActiveRuns: spec.max_active_runs,
      timeoutSeconds: spec.timeout_seconds,
      currentVersion: versionInfo(version),
    };
  }

  private versionOf(spaceId: Id, pipelineId: Id, number: number, def: ReadDefinition, actor: Actor, now: Date): PipelineVersion {
    return {
      id: this.ids.id(),
      spaceId,
      pipelineId,
      number,
      version: def.spec.version,
      specHash: def.hash,
      source: def.text,
      format: def.format,
      spec: def.spec,
      createdAt: now,
      createdBy: actor.userId,
      message: def.message,
    };
  }

  private nextRun(schedule: string | null, paused: boolean, now: Date): Date | null {
    if (paused || schedule === null) return null;
    return this.schedules().next(schedule, now);
  }

  /**
   * Checks a definition and reads the request fields beside it. Problems of the definition and of
   * those fields come together, in the order of the text.
   */
  private async read(
    input: DefinitionText,
    spaceId: Id,
  ): Promise<({ ok: true } & ReadDefinition & { warnings: ErrorDetail[] }) | { ok: false; errors: ErrorDetail[]; warnings: ErrorDetail[] }> {
    const tools = this.tools();
    const checked = await tools.check(input.text, input.format);
    const errors = checked.ok ? [] : checked.errors.filter((e) => !REQUEST_FIELDS.includes(e.field ?? ''));
    // The text read (its syntax is fine when the check got past it) for the fields beside the definition.
    let parsed: ParsedText | undefined;
    try {
      parsed = errors.some((e) => e.field === '') ? undefined : tools.reader.read(input.text, input.format);
    } catch {
      parsed = undefined;
    }
    const root = parsed && isRecord(parsed.value) ? parsed.value : {};
    const at = (field: string, reason: string): ErrorDetail => ({ field, reason, ...(parsed?.locate(field) ?? {}) });
    const extra: ErrorDetail[] = [];
    const base = root.base_version;
    if (base !== undefined && (typeof base !== 'number' || !Number.isInteger(base) || base < 1)) {
      extra.push(at('/base_version', 'must be a version number (an integer from 1)'));
    }
    const message = root.message;
    if (message !== undefined && message !== null && (typeof message !== 'string' || message.length > MAX_MESSAGE_LENGTH)) {
      extra.push(at('/message', `must be a string of at most ${MAX_MESSAGE_LENGTH} characters, or null`));
    }
    let spec = checked.ok ? checked.spec : undefined;
    if (!checked.ok && errors.length === 0 && parsed) {
      // The request fields were the only problems: the definition without them, as JSON (the
      // spec is the same whatever the format), gives the spec.
      const definition = Object.fromEntries(Object.entries(root).filter(([k]) => !REQUEST_FIELDS.includes(`/${k}`)));
      const again = await tools.check(JSON.stringify(definition), 'json');
      if (again.ok) spec = again.spec;
      else
        errors.push(
          ...again.errors.map(({ line: _l, column: _c, queryLine: _ql, queryColumn: _qc, ...rest }) => ({
            ...rest,
            ...(rest.field ? (parsed?.locate(rest.field) ?? {}) : {}),
          })),
        );
    }
    if (spec) {
      if (spec.engine !== EMBEDDED_ENGINE) {
        // A cluster engine reads its warehouse from its own connector's settings.
        const engine = await this.engineProblem(spaceId, spec.engine);
        if (engine) extra.push(at('/engine', engine));
      } else {
        const warehouse = await this.warehouseProblem(spaceId, spec.warehouse);
        if (warehouse) extra.push(at('/warehouse', warehouse));
      }
    }
    const all = [...errors, ...extra].sort(byPlace);
    if (!spec || all.length > 0) return { ok: false, errors: all, warnings: checked.warnings };
    return {
      ok: true,
      text: input.text,
      format: input.format,
      spec,
      hash: await tools.hash(spec),
      baseVersion: typeof base === 'number' ? base : undefined,
      message: typeof message === 'string' ? message : null,
      warnings: checked.warnings,
    };
  }

  /** Why a definition's engine cannot run it here, if it cannot: it must name a connector of the space with a cluster engine. */
  private async engineProblem(spaceId: Id, name: string): Promise<string | undefined> {
    const types = this.settings.clusterEngines ?? [];
    const connector = await this.connectors.getByName(spaceId, name);
    if (connector && types.includes(connector.type)) return undefined;
    if (types.length === 0) return `must be '${EMBEDDED_ENGINE}': no cluster engine is installed in this Signalbox`;
    return `must be '${EMBEDDED_ENGINE}' or name a connector of the space of type ${types.map((t) => `\`${t}\``).join(' or ')} ('${name}' is not one)`;
  }

  /** Why a definition's warehouse cannot serve it here, if it cannot. */
  private async warehouseProblem(spaceId: Id, name: string | null): Promise<string | undefined> {
    if (name === null) {
      return this.settings.embeddedWarehouse
        ? undefined
        : 'is required: this Signalbox runs on PostgreSQL, where the embedded warehouse is not available; name a `warehouse` connector of the space';
    }
    const connector = await this.connectors.getByName(spaceId, name);
    return connector?.type === 'warehouse' ? undefined : `names no \`warehouse\` connector of the space ('${name}')`;
  }

  private async mustRead(input: DefinitionText, spaceId: Id): Promise<ReadDefinition> {
    const read = await this.read(input, spaceId);
    if (!read.ok) {
      const [first] = read.errors;
      const where = first?.line === undefined ? '' : ` (line ${first.line}, column ${first.column})`;
      throw new DomainError(
        'invalid',
        'DEFINITION_INVALID',
        `the definition has ${read.errors.length} problem${read.errors.length === 1 ? '' : 's'}: ${first?.field ? `${first.field}: ` : ''}${first?.reason ?? ''}${where}`,
        { details: read.errors },
      );
    }
    return read;
  }

  private tools(): DefinitionSupport {
    if (!this.definitions)
      throw new DomainError('unavailable', 'DEFINITIONS_UNAVAILABLE', 'this service has no definition tools: managed pipelines are not available');
    return this.definitions;
  }

  private schedules(): CronSchedules {
    if (!this.cron) throw new DomainError('unavailable', 'SCHEDULES_UNAVAILABLE', 'this service has no cron schedules: managed pipelines are not available');
    return this.cron;
  }
}

interface ReadDefinition {
  text: string;
  format: DefinitionFormat;
  spec: PipelineSpec;
  hash: string;
  baseVersion: number | undefined;
  message: string | null;
}

type ManagedPipeline = Pipeline & { managed: NonNullable<Pipeline['managed']> };

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

const byPlace = (a: ErrorDetail, b: ErrorDetail) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0);

function parseIfMatch(value: string): number {
  const m = IF_MATCH.exec(value);
  if (!m) throw invalid('ifMatch', 'must be the current version number in quotes, e.g. "3"');
  return Number(m[1]);
}

const versionConflict = (current: number, base: number) =>
  new DomainError('conflict', 'VERSION_CONFLICT', `the pipeline is at version ${current}, not ${base}: read it again and retry`, {
    data: { current_version: current },
  });
