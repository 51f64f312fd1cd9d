import { ApiError, Signalbox, SignalboxError, WaitTimeoutError } from './index';

/*
 * The client's own logic, answered by a scripted fetch: what a real server cannot be made to do
 * on cue (a long poll that runs out unchanged, a server that never answers, a race between two
 * creators of one name, an HTML page where the API should be).
 */

type Answer = { status: number; body: unknown } | 'hang';

/** A fetch that answers each request with the next scripted answer for its method and path. */
function scripted(script: Record<string, Answer[]>) {
  const sent: string[] = [];
  const fetch = async (request: Request): Promise<Response> => {
    const u = new URL(request.url);
    const key = `${request.method} ${u.pathname}`;
    sent.push(`${key}${u.search}`);
    const answer = script[key]?.shift();
    if (!answer) throw new Error(`nothing scripted for ${key}`);
    if (answer === 'hang') {
      // As a real fetch: a signal aborted before the call (a deadline passed on a loaded machine) rejects at once.
      if (request.signal.aborted) return Promise.reject(request.signal.reason);
      return new Promise((_, reject) => {
        // A real request in flight is held by its socket. A promise that only waits is held by
        // nothing: the garbage collector could take it with the deadline's timeout signal (held
        // weakly by its timer), and the wait would never end. The interval holds it, as a socket would.
        const held = setInterval(() => request, 1_000);
        request.signal.addEventListener(
          'abort',
          () => {
            clearInterval(held);
            reject(request.signal.reason);
          },
          { once: true },
        );
      });
    }
    return new Response(typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body), {
      status: answer.status,
      headers: { 'Content-Type': typeof answer.body === 'string' ? 'text/html' : 'application/json' },
    });
  };
  return { fetch, sent };
}

const RUN = '/api/v1.0/spaces/acme/orchestration/runs/r1';
const run = (status: string, updatedAt: string) => ({ status: 200, body: { id: 'r1', status, updated_at: updatedAt, task_runs: [] } });
const client = (fetch: (r: Request) => Promise<Response>, signal?: AbortSignal) =>
  new Signalbox({ url: 'http://signalbox.test', apiKey: 'k', space: 'acme', fetch, ...(signal ? { signal } : {}) });

describe('waiting for a run', () => {
  it('reports each state once: a long poll that ran out unchanged is not news', async () => {
    const { fetch, sent } = scripted({
      [`GET ${RUN}`]: [run('running', '2026-11-27T10:00:00.000Z'), run('running', '2026-11-27T10:00:00.000Z'), run('success', '2026-11-27T10:01:00.000Z')],
    });
    const seen: string[] = [];
    const done = await client(fetch).runs.wait('r1', { onProgress: (r) => seen.push(`${r.status}@${r.updated_at}`) });
    expect(done.status).toBe('success');
    expect(seen).toEqual(['running@2026-11-27T10:00:00.000Z', 'success@2026-11-27T10:01:00.000Z']);
    expect(sent.slice(1)).toEqual([
      `GET ${RUN}?wait_seconds=60&changed_since=2026-11-27T10%3A00%3A00.000Z`,
      `GET ${RUN}?wait_seconds=60&changed_since=2026-11-27T10%3A00%3A00.000Z`,
    ]);
  });

  it('cuts the long poll in flight at the deadline and rejects with the run as last seen', async () => {
    const { fetch, sent } = scripted({ [`GET ${RUN}`]: [run('running', '2026-11-27T10:00:00.000Z'), 'hang'] });
    // The second poll never answers: only cutting it at the deadline lets the wait end at all.
    const err = await client(fetch)
      .runs.wait('r1', { timeout: 300 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WaitTimeoutError);
    expect(err).toMatchObject({ code: 'WAIT_TIMEOUT', run: { id: 'r1', status: 'running' }, sync: null });
    expect(sent[1]).toMatch(/wait_seconds=1&/);
  });

  it('takes a timeout longer than any timer without ending at once', async () => {
    const { fetch } = scripted({ [`GET ${RUN}`]: [run('running', '2026-11-27T10:00:00.000Z'), run('success', '2026-11-27T10:01:00.000Z')] });
    expect((await client(fetch).runs.wait('r1', { timeout: 2 ** 33 })).status).toBe('success');
  });

  it('stops waiting when its signal, or the client’s, aborts: the reason is thrown, nothing is canceled', async () => {
    for (const whose of ['wait', 'client'] as const) {
      const { fetch, sent } = scripted({ [`GET ${RUN}`]: [run('running', '2026-11-27T10:00:00.000Z'), 'hang'] });
      const stop = new AbortController();
      setTimeout(() => stop.abort(new Error(`${whose} stopped`)), 100);
      const sb = client(fetch, whose === 'client' ? stop.signal : undefined);
      await expect(sb.runs.wait('r1', whose === 'wait' ? { signal: stop.signal } : {})).rejects.toThrow(`${whose} stopped`);
      expect(sent.every((s) => s.startsWith('GET '))).toBe(true);
    }
  });
});

describe('following a sync', () => {
  it('reports each state once and resolves when it has ended', async () => {
    const SYNC = '/api/v1.0/spaces/acme/connectors/00000000-0000-4000-8000-000000000001';
    const record = (status: string, heartbeat: string) => ({ status: 200, body: { id: 's1', status, heartbeat_at: heartbeat, counts: {} } });
    const { fetch } = scripted({
      'POST /api/v1.0/spaces/acme/orchestration/connectors/00000000-0000-4000-8000-000000000001/sync': [{ status: 202, body: record('running', 'a').body }],
      [`GET ${SYNC}/syncs/s1`]: [record('running', 'a'), record('running', 'b'), record('succeeded', 'c')],
    });
    const seen: string[] = [];
    const done = await client(fetch).connectors.sync('00000000-0000-4000-8000-000000000001', { wait: true, onProgress: (s) => seen.push(s.heartbeat_at) });
    expect(done.status).toBe('succeeded');
    expect(seen).toEqual(['a', 'b', 'c']);
  });
});

describe('apply', () => {
  const PUT = 'PUT /api/v1/pipelines/etl';
  const POST = 'POST /api/v1/pipelines';
  const notFound = { status: 404, body: { error: { code: 'PIPELINE_NOT_FOUND', message: "pipeline 'etl' was not found", details: [] } } };
  const exists = { status: 409, body: { error: { code: 'PIPELINE_EXISTS', message: "pipeline 'etl' exists", details: [] } } };
  const pipeline = { name: 'etl', version: null, status: 'active', schedule: null, last_run: null, next_run_at: null };

  it('updates the pipeline another client created between its PUT and its POST', async () => {
    const { fetch, sent } = scripted({ [PUT]: [notFound, { status: 200, body: { data: pipeline } }], [POST]: [exists] });
    expect(await client(fetch).pipelines.apply('name: etl\n')).toEqual({ outcome: 'unchanged', pipeline });
    expect(sent).toEqual([`${PUT}`, `${POST}`, `${PUT}`]);
  });

  it('tries again once only, then gives the conflict', async () => {
    const { fetch, sent } = scripted({ [PUT]: [notFound, notFound], [POST]: [exists, exists] });
    await expect(client(fetch).pipelines.apply({ name: 'etl' })).rejects.toMatchObject({ status: 409, code: 'PIPELINE_EXISTS' });
    expect(sent).toHaveLength(4);
  });
});

describe('answers that are not the API', () => {
  it('is BAD_RESPONSE, not a connection error, when a page answers where the API should', async () => {
    const { fetch } = scripted({ 'GET /api/v1/pipelines/etl': [{ status: 200, body: '<html>a login page</html>' }] });
    const err = await client(fetch)
      .pipelines.get('etl')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SignalboxError);
    expect(err).not.toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ code: 'BAD_RESPONSE' });
  });

  it('keeps the status of an error page that is not the API’s error shape', async () => {
    const { fetch } = scripted({ 'GET /api/v1/pipelines/etl': [{ status: 502, body: '<html>bad gateway</html>' }] });
    await expect(client(fetch).pipelines.get('etl')).rejects.toMatchObject({ name: 'ApiError', status: 502, code: 'HTTP_502' });
  });
});
