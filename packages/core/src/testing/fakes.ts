import type { CronSchedules } from '../background/cron';
import type { CheckedDefinition, JobType, LoadMode, PipelineSpec, VariableValue } from '../definition/definition';
import { DomainError, type ErrorDetail, invalid } from '../errors';
import type { DefinitionFormat, DefinitionReader } from '../ports/definition-tools';
import type { Repositories } from '../ports/repositories';
import type { Clock, IdGenerator } from '../ports/system';
import type { ManagedRunEngine, SyncOutcome, Telemetry } from '../ports/telemetry';
import type { UnitOfWork } from '../ports/unit-of-work';
import type { RunStatus } from '../run/run';
import type { DefinitionSupport } from '../services/managed-pipeline-service';
import { fakeSqlParser } from './fake-definition-tools';

/** A clock that stands still until told to move. */
export class FakeClock implements Clock {
  private t: number;
  constructor(start: Date | string = '2026-01-15T12:00:00.000Z') {
    this.t = new Date(start).getTime();
  }
  now(): Date {
    return new Date(this.t);
  }
  advance(ms: number): void {
    this.t += ms;
  }
  set(at: Date | string): void {
    this.t = new Date(at).getTime();
  }
}

/** Ids `00000000-0000-4000-8000-000000000001`, `…002`, …: deterministic and valid UUIDs. */
export class SequentialIds implements IdGenerator {
  private n = 0;
  constructor(private readonly salt = 0) {}
  id(): string {
    this.n += 1;
    const hex = (this.salt * 1e9 + this.n).toString(16).padStart(12, '0');
    return `00000000-0000-4000-8000-${hex}`;
  }
  secret(bytes: number): string {
    this.n += 1;
    return `secret${this.n}`.padEnd(Math.ceil((bytes * 4) / 3), 'x');
  }
}

/**
 * A unit of work whose repositories fail where told, to show that a failure half way through a
 * use case rolls back what it wrote before. Only calls made inside a unit fail.
 */
export class FaultyUnitOfWork implements UnitOfWork {
  private readonly faults = new Map<string, { error: Error; from: number; calls: number }>();

  /** Every repository method called inside a unit, as `repo.method`, in order. */
  readonly calls: string[] = [];

  constructor(private readonly inner: UnitOfWork) {}

  /** From now on, `repo.method` called inside a unit rejects with `error`: every call, or from the `from`th on (1 is the next). */
  fail<K extends keyof Repositories>(repo: K, method: keyof Repositories[K] & string, error = new Error(`${repo}.${method} failed`), from = 1): Error {
    this.faults.set(`${repo}.${method}`, { error, from, calls: 0 });
    return error;
  }

  heal(): void {
    this.faults.clear();
  }

  run<T>(work: (repos: Repositories) => Promise<T>): Promise<T> {
    return this.inner.run((repos) => work(this.wrap(repos)));
  }

  private wrap(repos: Repositories): Repositories {
    const wrapped = Object.entries(repos).map(([name, repo]) => [
      name,
      new Proxy(repo as object, {
        get: (target, key, receiver) => {
          const value = Reflect.get(target, key, receiver);
          if (typeof value !== 'function') return value;
          const call = `${name}.${String(key)}`;
          const fault = this.faults.get(call);
          return (...args: unknown[]) => {
            this.calls.push(call);
            return fault && ++fault.calls >= fault.from ? Promise.reject(fault.error) : value.apply(target, args);
          };
        },
      }),
    ]);
    return Object.fromEntries(wrapped) as Repositories;
  }
}

/**
 * Cron schedules that know one form, `M * * * *` (every hour at minute M), and refuse the rest:
 * enough for use case tests; the croner adapter is the real one.
 */
export class HourlyCron implements CronSchedules {
  check(expression: string, field = 'schedule'): void {
    if (!/^([0-5]?[0-9]) \* \* \* \*$/.test(expression)) throw invalid(field, `'${expression}' is not a schedule this fake knows`);
  }
  next(expression: string, after: Date): Date | null {
    this.check(expression);
    const minute = Number(expression.split(' ')[0]);
    const next = new Date(after);
    next.setUTCSeconds(0, 0);
    next.setUTCMinutes(minute);
    if (next.getTime() <= after.getTime()) next.setUTCHours(next.getUTCHours() + 1);
    return next;
  }
}

/**
 * Definition support over a toy format, for use case tests: the text is JSON
 * `{name, schedule?, description?, engine?, warehouse?, steps?: [name | {name, query}], problems?: [ErrorDetail]}`
 * (plus any request field). `problems` come back as the check's errors; every other unknown
 * top-level field is an "unknown field" error at line 1, as the real check reports it. Diffs are
 * `-`/`+` lines of the whole texts.
 */
export function fakeDefinitions(): DefinitionSupport & { checks: number } {
  const known = ['name', 'schedule', 'description', 'engine', 'warehouse', 'steps', 'problems', 'version', 'variables', 'max_active_runs', 'timeout_seconds'];
  const reader: DefinitionReader = {
    read(text) {
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (err) {
        throw new DomainError('invalid', 'DEFINITION_SYNTAX', 'syntax', { details: [{ field: '', reason: String(err), line: 1, column: 1 }] });
      }
      return { value, locate: () => ({ line: 1, column: 1 }), locateInString: () => ({ line: 1, column: 1 }) };
    },
  };
  const support = {
    checks: 0,
    reader,
    async check(text: string, format: DefinitionFormat): Promise<CheckedDefinition> {
      support.checks++;
      let v: Record<string, unknown>;
      try {
        v = reader.read(text, format).value as Record<string, unknown>;
      } catch (err) {
        return { ok: false, errors: (err as DomainError).details, warnings: [] };
      }
      const errors: ErrorDetail[] = [...((v.problems as ErrorDetail[] | undefined) ?? [])];
      for (const k of Object.keys(v)) if (!known.includes(k)) errors.push({ field: `/${k}`, reason: 'is not a known field', line: 1, column: 1 });
      if (typeof v.name !== 'string') errors.push({ field: '/name', reason: 'is required', line: 1, column: 1 });
      if (errors.length > 0) return { ok: false, errors, warnings: [] };
      type FakeStep = { name: string; query: string; job_type?: JobType; mode?: LoadMode; incremental?: { cursor_column: string } };
      const steps = ((v.steps as (string | FakeStep)[] | undefined) ?? ['one']).map(
        (s): FakeStep => (typeof s === 'string' ? { name: s, query: `SELECT '${s}'` } : s),
      );
      const spec: PipelineSpec = {
        name: v.name as string,
        version: (v.version as string | undefined) ?? null,
        description: (v.description as string | undefined) ?? null,
        owner: null,
        tags: [],
        schedule: (v.schedule as string | undefined) ?? null,
        engine: (v.engine as string | undefined) ?? 'embedded',
        warehouse: (v.warehouse as string | undefined) ?? null,
        max_active_runs: (v.max_active_runs as number | undefined) ?? 1,
        timeout_seconds: (v.timeout_seconds as number | undefined) ?? null,
        variables: (v.variables as Record<string, VariableValue> | undefined) ?? {},
        steps: steps.map((s) => ({
          name: s.name,
          config: {
            query_type: 'sql',
            query: s.query,
            input_datasets: [],
            output_datasets: [s.name],
            job_type: s.job_type ?? 'extract',
            ...(s.mode ? { mode: s.mode } : {}),
            ...(s.incremental ? { incremental: s.incremental } : {}),
          },
          depends_on: [],
        })),
      };
      return { ok: true, spec, warnings: [] };
    },
    async hash(spec: PipelineSpec) {
      return JSON.stringify(spec);
    },
    sql: fakeSqlParser,
    diff: {
      unified(before: string, after: string, labels: { before: string; after: string }) {
        if (before === after) return '';
        return `--- ${labels.before}\n+++ ${labels.after}\n-${before}\n+${after}\n`;
      },
    },
  };
  return support;
}

/** Telemetry that keeps what it is told, for tests. */
export class RecordingTelemetry implements Telemetry {
  readonly syncs: { outcome: SyncOutcome; durationMs: number }[] = [];
  readonly runs: { outcome: RunStatus; engine: ManagedRunEngine; durationMs: number }[] = [];

  syncEnded(outcome: SyncOutcome, durationMs: number): void {
    this.syncs.push({ outcome, durationMs });
  }

  managedRunEnded(outcome: RunStatus, engine: ManagedRunEngine, durationMs: number): void {
    this.runs.push({ outcome, engine, durationMs });
  }
}
