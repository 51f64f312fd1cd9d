/** Helpers for this package's tests. */
import { type Connector, type ConnectorConfig, type DomainError, newConnector } from '@signalbox/core';

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
