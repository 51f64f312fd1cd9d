import { type AirflowStub, type ApiVersion, type FaultSpec, startAirflowStub } from '@signalbox/airflow-stub';
import type { OrchestrationProvider } from '@signalbox/core';
import { type AirflowProviderOptions, airflowProviderFactory } from './airflow-provider';
import { airflowConnector, collect, failure, runsSince, taskRunsSince } from './testing';

const OPTIONS: AirflowProviderOptions = { retries: 2, retryBaseMs: 5, timeoutMs: 600, maxRetryDelayMs: 2_000, lookbackMs: 100 * 365 * 24 * 3600_000 };

type Listing = 'pipelines' | 'runs' | 'taskRuns';
const PATHS: Record<Listing, RegExp> = { pipelines: /\/dags$/, runs: /\/dagRuns$/, taskRuns: /\/taskInstances$/ };

interface Case {
  name: string;
  fault: Omit<FaultSpec, 'path' | 'method'>;
  /** undefined: the listing succeeds in full. */
  seen?: { kind: string; code: string; status: number | null };
  /** Requests the first page took. */
  attempts: number;
}

const LISTING_CASES: Case[] = [
  { name: 'one 500, then success (retried)', fault: { kind: 'status', status: 500, times: 1 }, attempts: 2 },
  { name: 'a 500 every time', fault: { kind: 'status', status: 500 }, seen: { kind: 'bad_gateway', code: 'PROVIDER_ERROR', status: 500 }, attempts: 3 },
  { name: 'a 503 every time', fault: { kind: 'status', status: 503 }, seen: { kind: 'unavailable', code: 'PROVIDER_UNAVAILABLE', status: 503 }, attempts: 3 },
  { name: 'a 504 every time', fault: { kind: 'status', status: 504 }, seen: { kind: 'timeout', code: 'PROVIDER_TIMEOUT', status: 504 }, attempts: 3 },
  { name: 'a 400 (never retried)', fault: { kind: 'status', status: 400 }, seen: { kind: 'invalid', code: 'PROVIDER_REJECTED', status: 400 }, attempts: 1 },
  { name: 'one 429 with Retry-After: 0', fault: { kind: 'rate_limit', retryAfter: 0, times: 1 }, attempts: 2 },
  {
    name: 'a 429 every time',
    fault: { kind: 'rate_limit', retryAfter: 0 },
    seen: { kind: 'rate_limited', code: 'PROVIDER_RATE_LIMITED', status: 429 },
    attempts: 3,
  },
  {
    name: 'a 429 asking for longer than the cap (no wait)',
    fault: { kind: 'rate_limit', retryAfter: 3600 },
    seen: { kind: 'rate_limited', code: 'PROVIDER_RATE_LIMITED', status: 429 },
    attempts: 1,
  },
  { name: 'one hang, then success', fault: { kind: 'hang', times: 1 }, attempts: 2 },
  { name: 'a hang every time', fault: { kind: 'hang' }, seen: { kind: 'timeout', code: 'PROVIDER_TIMEOUT', status: null }, attempts: 3 },
  { name: 'one dropped connection, then success', fault: { kind: 'drop', times: 1 }, attempts: 2 },
  { name: 'a dropped connection every time', fault: { kind: 'drop' }, seen: { kind: 'unavailable', code: 'PROVIDER_UNREACHABLE', status: null }, attempts: 3 },
  {
    name: 'malformed JSON (not retried)',
    fault: { kind: 'malformed' },
    seen: { kind: 'bad_gateway', code: 'PROVIDER_BAD_RESPONSE', status: 200 },
    attempts: 1,
  },
  { name: 'latency below the timeout', fault: { kind: 'latency', ms: 50 }, attempts: 1 },
];

interface TriggerCase {
  name: string;
  fault: Omit<FaultSpec, 'path' | 'method'>;
  seen: { kind: string; code: string; status: number | null } | 'ok';
}

const TRIGGER_CASES: TriggerCase[] = [
  { name: 'a 500', fault: { kind: 'status', status: 500, times: 1 }, seen: { kind: 'bad_gateway', code: 'PROVIDER_ERROR', status: 500 } },
  { name: 'a 503', fault: { kind: 'status', status: 503, times: 1 }, seen: { kind: 'unavailable', code: 'PROVIDER_UNAVAILABLE', status: 503 } },
  { name: 'a 429', fault: { kind: 'rate_limit', retryAfter: 0, times: 1 }, seen: { kind: 'rate_limited', code: 'PROVIDER_RATE_LIMITED', status: 429 } },
  { name: 'a hang', fault: { kind: 'hang', times: 1 }, seen: { kind: 'timeout', code: 'PROVIDER_TIMEOUT', status: null } },
  { name: 'a dropped connection', fault: { kind: 'drop', times: 1 }, seen: { kind: 'unavailable', code: 'PROVIDER_UNREACHABLE', status: null } },
  { name: 'malformed JSON', fault: { kind: 'malformed', times: 1 }, seen: { kind: 'bad_gateway', code: 'PROVIDER_BAD_RESPONSE', status: 200 } },
  { name: 'latency', fault: { kind: 'latency', ms: 50, times: 1 }, seen: 'ok' },
];

describe.each<ApiVersion>(['v1', 'v2'])('faults against Airflow %s', (version) => {
  let stub: AirflowStub;
  let provider: OrchestrationProvider;
  let n = 0;

  beforeAll(async () => {
    stub = await startAirflowStub({ apiVersion: version, seed: 9, dags: 12, runs: 60, taskInstances: 120, maximumPageLimit: 5 });
    const factory = airflowProviderFactory(OPTIONS);
    provider = factory.create(airflowConnector(factory.checkConfig({ base_url: stub.url, username: 'admin', password: 'admin', api_version: version })));
    await provider.check();
  });
  afterEach(() => stub.faults.clear());
  afterAll(() => stub.close());

  const list = (l: Listing): AsyncIterable<unknown[]> =>
    l === 'pipelines' ? provider.pipelines() : l === 'runs' ? runsSince(provider, null) : taskRunsSince(provider, null);
  const totals = () => ({ pipelines: stub.data.listDags().length, runs: stub.data.runs.length, taskRuns: stub.data.tasks.length });

  describe.each<Listing>(['pipelines', 'runs', 'taskRuns'])('while listing %s', (listing) => {
    it.each(LISTING_CASES)('$name', async ({ fault, seen, attempts }) => {
      stub.faults.add({ ...fault, method: 'GET', path: PATHS[listing] });
      const before = stub.requests.length;
      if (seen) {
        expect(await failure(collect(list(listing)))).toMatchObject(seen);
      } else {
        expect((await collect(list(listing))).items).toHaveLength(totals()[listing]);
      }
      const firstPage = stub.requests.slice(before).filter((r) => PATHS[listing].test(r.path) && (r.query.offset ?? '0') === '0');
      expect(firstPage).toHaveLength(attempts);
    });

    it('fails half way when the fault starts after two pages, having yielded those pages', async () => {
      stub.faults.add({ kind: 'status', status: 500, method: 'GET', path: PATHS[listing], after: 2 });
      const got: number[] = [];
      const f = await failure(
        (async () => {
          for await (const page of list(listing)) got.push(page.length);
        })(),
      );
      expect(f).toMatchObject({ kind: 'bad_gateway', code: 'PROVIDER_ERROR', status: 500 });
      expect(got).toEqual([5, 5]);
    });
  });

  it('waits as long as Retry-After asks (within the cap) before trying again', async () => {
    stub.faults.add({ kind: 'rate_limit', retryAfter: 1, method: 'GET', path: /\/dags$/, times: 1 });
    const t0 = Date.now();
    expect((await collect(provider.pipelines())).items).toHaveLength(12);
    // The backoff alone would be a few milliseconds (retryBaseMs 5).
    expect(Date.now() - t0).toBeGreaterThanOrEqual(950);
  });

  describe('while triggering (never retried blindly)', () => {
    it.each(TRIGGER_CASES)('$name', async ({ fault, seen }) => {
      stub.faults.add({ ...fault, method: 'POST', path: /\/dagRuns$/ });
      const before = stub.requests.length;
      const runId = `signalbox__fault_${version}_${n++}`;
      const trigger = provider.trigger('dag_0001', { runId, conf: null, note: null, logicalDate: null });
      if (seen === 'ok') {
        expect((await trigger).externalId).toBe(runId);
      } else {
        const f = await failure(trigger);
        expect(f).toMatchObject(seen);
      }
      expect(stub.requests.slice(before).filter((r) => r.method === 'POST')).toHaveLength(1);
    });

    it('a lost answer: the run exists, the retry with the same id says RUN_EXISTS, and getRun finds it', async () => {
      stub.faults.add({ kind: 'lose_response', method: 'POST', path: /\/dagRuns$/, times: 1 });
      const request = { runId: `signalbox__lost_${version}`, conf: { x: 1 }, note: null, logicalDate: null };
      const lost = await failure(provider.trigger('dag_0002', request));
      expect(lost).toMatchObject({ kind: 'unavailable', code: 'PROVIDER_UNREACHABLE', status: null });
      expect(lost.message).toMatch(/may have reached Airflow/);
      expect(await failure(provider.trigger('dag_0002', request))).toMatchObject({ kind: 'conflict', code: 'RUN_EXISTS', status: 409 });
      expect(await provider.getRun('dag_0002', request.runId)).toMatchObject({ externalId: request.runId, conf: { x: 1 }, status: 'queued' });
    });
  });
});
