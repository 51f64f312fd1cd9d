import type { ArgoStub } from '@signalbox/argo-stub';
import type { ArgoProvider } from './argo-provider';
import { argoSetup, collect, failure } from './testing';

// Failures of the Argo Server as the core sees them, injected by the stub over real sockets.
let stub: ArgoStub;
let provider: ArgoProvider;

afterEach(async () => {
  if (!stub) return;
  try {
    expect(stub.violations).toEqual([]);
  } finally {
    await stub.close();
  }
});

const OPTIONS = { retries: 2, retryBaseMs: 5, timeoutMs: 600, maxRetryDelayMs: 3_000 };
const PIPELINES = '/api/v1/cron-workflows/';

describe('Argo provider faults (stub)', () => {
  it('a refused token is 502 PROVIDER_AUTH_FAILED with Argo message, never retried', async () => {
    ({ stub, provider } = await argoSetup({ seed: 1 }, OPTIONS, 'not-the-token'));
    const f = await failure(provider.check());
    expect(f).toMatchObject({ kind: 'bad_gateway', code: 'PROVIDER_AUTH_FAILED', status: 401 });
    expect(f.providerMessage).toBeTruthy();
    expect(stub.requests.filter((r) => r.status === 401)).toHaveLength(1);
  });

  it('a token without the rights (403) is 502 PROVIDER_AUTH_FAILED', async () => {
    ({ stub, provider } = await argoSetup({ seed: 1, forbiddenToken: 'read-nothing' }, OPTIONS, 'read-nothing'));
    expect(await failure(collect(provider.pipelines()))).toMatchObject({ kind: 'bad_gateway', code: 'PROVIDER_AUTH_FAILED', status: 403 });
  });

  it.each([
    ['a 503 every time', { kind: 'status', status: 503 }, { kind: 'unavailable', code: 'PROVIDER_UNAVAILABLE', status: 503 }, 3],
    ['one 503, then success', { kind: 'status', status: 503, times: 1 }, 'ok', 2],
    ['a 500 every time', { kind: 'status', status: 500 }, { kind: 'bad_gateway', code: 'PROVIDER_ERROR', status: 500 }, 3],
    ['a hang every time', { kind: 'hang' }, { kind: 'timeout', code: 'PROVIDER_TIMEOUT', status: null }, 3],
    ['one hang, then success', { kind: 'hang', times: 1 }, 'ok', 2],
    ['a dropped connection every time', { kind: 'drop' }, { kind: 'unavailable', code: 'PROVIDER_UNREACHABLE', status: null }, 3],
    ['one dropped connection, then success', { kind: 'drop', times: 1 }, 'ok', 2],
    ['malformed JSON (not retried)', { kind: 'malformed' }, { kind: 'bad_gateway', code: 'PROVIDER_BAD_RESPONSE', status: 200 }, 1],
    ['a 429 every time', { kind: 'rate_limit', retryAfter: 0 }, { kind: 'rate_limited', code: 'PROVIDER_RATE_LIMITED', status: 429 }, 3],
    [
      'a 429 asking for longer than the cap (no wait)',
      { kind: 'rate_limit', retryAfter: 3600 },
      { kind: 'rate_limited', code: 'PROVIDER_RATE_LIMITED', status: 429 },
      1,
    ],
  ] as const)('listing pipelines with %s', async (_name, fault, seen, attempts) => {
    ({ stub, provider } = await argoSetup({ seed: 2, cronWorkflows: 2, templates: 1 }, OPTIONS));
    stub.faults.add({ ...fault, method: 'GET', path: PIPELINES });
    if (seen === 'ok') expect((await collect(provider.pipelines())).items.length).toBe(3);
    else expect(await failure(collect(provider.pipelines()))).toMatchObject(seen);
    // Attempts of the first list request: each faulted but the last one of a success.
    expect(stub.faults.fired()[0]).toBe(seen === 'ok' ? attempts - 1 : attempts);
  });

  it('honours Retry-After on a 429', async () => {
    ({ stub, provider } = await argoSetup({ seed: 2, cronWorkflows: 1 }, OPTIONS));
    stub.faults.add({ kind: 'rate_limit', retryAfter: 1, times: 1, method: 'GET', path: '/api/v1/version' });
    const started = Date.now();
    await provider.check();
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(stub.faults.fired()).toEqual([1]);
  });

  it("carries Argo's grpc message of an error", async () => {
    ({ stub, provider } = await argoSetup({ seed: 2, cronWorkflows: 1 }, OPTIONS));
    const f = await failure(provider.getRun('cronworkflow/x', 'no-such-workflow'));
    expect(f.kind).toBe('not_found');
    const [pipeline] = (await collect(provider.pipelines())).items;
    const g = await failure(provider.trigger('workflowtemplate/no-such-template', { runId: 'signalbox__m', conf: null, note: null, logicalDate: null }));
    expect(g).toMatchObject({ kind: 'not_found', code: 'PIPELINE_NOT_FOUND', status: 404 });
    expect(g.providerMessage).toMatch(/no-such-template/);
    expect(pipeline).toBeDefined();
  });

  it('never resends a submit after a 503', async () => {
    ({ stub, provider } = await argoSetup({ seed: 2, cronWorkflows: 1 }, OPTIONS));
    const [pipeline] = (await collect(provider.pipelines())).items;
    stub.faults.add({ kind: 'status', status: 503, method: 'POST', path: '/submit' });
    expect(await failure(provider.trigger(pipeline.externalId, { runId: 'signalbox__s', conf: null, note: null, logicalDate: null }))).toMatchObject({
      kind: 'unavailable',
      status: 503,
    });
    expect(stub.faults.fired()).toEqual([1]);
  });

  it('a server that is not there is unreachable', async () => {
    ({ stub, provider } = await argoSetup({ seed: 2 }, OPTIONS));
    await stub.close();
    expect(await failure(provider.check())).toMatchObject({ kind: 'unavailable', code: 'PROVIDER_UNREACHABLE', status: null });
    stub = undefined as unknown as ArgoStub;
  });
});
