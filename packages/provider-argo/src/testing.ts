/** Helpers for this package's tests against @signalbox/argo-stub. */
import { type ArgoStub, startArgoStub } from '@signalbox/argo-stub';
import { type Connector, type DomainError, newConnector } from '@signalbox/core';
import { type ArgoProvider, type ArgoProviderOptions, argoProviderFactory } from './argo-provider';
import { checkArgoConfig } from './config';

export type StubOptions = NonNullable<Parameters<typeof startArgoStub>[0]>;

export function argoConnector(stub: { url: string; namespace: string; token: string }, token = stub.token): Connector {
  const config = checkArgoConfig({ base_url: stub.url, namespace: stub.namespace, token, warehouse_secret: { name: 'warehouse', key: 'url' } });
  return newConnector({ id: 'c1', spaceId: 's1', name: 'argo', type: 'argo', config }, new Date('2026-01-01T00:00:00Z'));
}

/** A stub and a provider over it; `token` overrides the connector's token. */
export async function argoSetup(
  stubOptions: StubOptions = {},
  options: ArgoProviderOptions = {},
  token?: string,
): Promise<{ stub: ArgoStub; provider: ArgoProvider }> {
  const stub = await startArgoStub(stubOptions);
  const factory = argoProviderFactory({ retries: 0, retryBaseMs: 5, timeoutMs: 5_000, ...options });
  return { stub, provider: factory.create(argoConnector(stub, token)) };
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

/** What a caller sees of a failure: kind, code and the orchestrator's status and message. */
export async function failure(
  p: Promise<unknown>,
): Promise<{ kind: string; code: string; status: number | null | undefined; providerMessage: string | undefined; message: string }> {
  try {
    await p;
  } catch (err) {
    const e = err as DomainError;
    return { kind: e.kind, code: e.code, status: e.provider?.status, providerMessage: e.provider?.message, message: e.message };
  }
  throw new Error('expected a failure, but it succeeded');
}

/** Waits for a condition, polling; fails after `ms`. */
export async function until(what: string, check: () => Promise<boolean>, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
