/** Helpers for this package's tests. */
import {
  type Connector,
  type ConnectorConfig,
  type DomainError,
  newConnector,
  type OrchestrationProvider,
  type ProviderRun,
  type ProviderTaskRun,
} from '@signalbox/core';
import { collectChanges } from '@signalbox/core/testing';

export function airflowConnector(config: ConnectorConfig): Connector {
  const at = new Date('2026-01-01T00:00:00Z');
  return newConnector({ id: 'c1', spaceId: 's1', name: 'airflow', type: 'airflow', config }, at);
}

export async function collect<T>(pages: AsyncIterable<T[]>): Promise<{ items: T[]; sizes: number[] }> {
  const items: T[] = [];
  const sizes: number[] = [];
  for await (const page of pages) {
    sizes.push(page.length);
    items.push(...page);
  }
  return { items, sizes };
}

/** What a caller sees of a failure: kind, code and the orchestrator's status. */
export async function failure(p: Promise<unknown>): Promise<{ kind: string; code: string; status: number | null | undefined; message: string }> {
  try {
    await p;
  } catch (err) {
    const e = err as DomainError;
    return { kind: e.kind, code: e.code, status: e.provider?.status, message: e.message };
  }
  throw new Error('expected a failure, but it succeeded');
}

/**
 * The runs pages of a change listing from `since` (a cursor of the Airflow provider is an ISO time;
 * with `overlapMs: 0` it reads from exactly that time). Null reads back the look-back window.
 */
export async function* runsSince(provider: OrchestrationProvider, since: Date | null): AsyncIterable<ProviderRun[]> {
  for await (const c of provider.changes(since?.toISOString() ?? null)) if (c.kind === 'runs') yield c.runs;
}

/** The task runs pages of a change listing from `since` (see runsSince). */
export async function* taskRunsSince(provider: OrchestrationProvider, since: Date | null): AsyncIterable<ProviderTaskRun[]> {
  for await (const c of provider.changes(since?.toISOString() ?? null)) if (c.kind === 'taskRuns') yield c.taskRuns;
}

/** A whole change listing from `cursor` (see collectChanges). */
export const changesOf = (provider: OrchestrationProvider, cursor: string | null) => collectChanges(provider.changes(cursor));
