import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { exampleCreate } from './examples';
import { type ArgoStub, startArgoStub } from './server';
import { LABEL_ARCHIVING, LABEL_CRON, LABEL_PHASE, LABEL_TEMPLATE } from './store';
import { ARGO_SPEC_VERSIONS, argoSwagger } from './swagger';

type Json = Record<string, any>;

interface Answer {
  status: number;
  json: any;
  headers: Headers;
}

/**
 * Calls the stub and checks the answer against BOTH swagger files. `allow` lists violations the
 * real server also produces (a `fields` keep-list that leaves out `spec`, which the schema requires).
 */
async function call(
  stub: ArgoStub,
  method: string,
  path: string,
  body?: unknown,
  opts: { token?: string | null; allow?: RegExp; raw?: string } = {},
): Promise<Answer> {
  const headers: Record<string, string> = {};
  const token = opts.token === undefined ? stub.token : opts.token;
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined || opts.raw !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(stub.url + path, { method, headers, body: opts.raw ?? (body === undefined ? undefined : JSON.stringify(body)) });
  const text = await res.text();
  const json = text ? JSON.parse(text) : null;
  const specPath = path.split('?')[0];
  for (const v of ARGO_SPEC_VERSIONS) {
    const swagger = argoSwagger(v);
    // A path the swagger does not have can only answer an error: check it against the error schema.
    const errorSchema = swagger.definition('grpc.gateway.runtime.Error');
    const raw = swagger.match(method, specPath)
      ? swagger.checkResponse(method, specPath, res.status, json)
      : errorSchema(json) && res.status >= 400
        ? []
        : [`${res.status} ${JSON.stringify(errorSchema.errors)}`];
    const errors = raw.filter((e) => !opts.allow?.test(e));
    expect({ version: v, method, path, errors }).toEqual({ version: v, method, path, errors: [] });
  }
  return { status: res.status, json, headers: res.headers };
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 15));
  }
}

const NS = 'signalbox';
const W = `/api/v1/workflows/${NS}`;

const dagWorkflow = (name: string, extra: Json = {}) => ({
  namespace: NS,
  workflow: {
    metadata: { name, labels: { 'signalbox.io/run-id': name } },
    spec: {
      entrypoint: 'main',
      arguments: { parameters: [{ name: 'day', value: '2026-11-28' }] },
      templates: [
        {
          name: 'main',
          dag: {
            tasks: [
              { name: 'extract', template: 'work' },
              { name: 'transform', template: 'work', dependencies: ['extract'] },
              { name: 'load', template: 'work', depends: 'transform' },
            ],
          },
        },
        { name: 'work', container: { image: 'example/worker:1', args: ['{{workflow.name}}', '{{workflow.parameters.day}}'] } },
      ],
      ...extra,
    },
  },
});

const podsOf = (wf: Json) => Object.values((wf.status?.nodes ?? {}) as Record<string, Json>).filter((n) => n.type === 'Pod');

async function finished(stub: ArgoStub, name: string, seen?: Set<string>): Promise<Json> {
  return waitFor(`${name} to finish`, async () => {
    const { json } = await call(stub, 'GET', `${W}/${name}`);
    seen?.add(`${json.status?.phase ?? ''} ${json.status?.progress ?? ''}`);
    return ['Succeeded', 'Failed', 'Error'].includes(json.status?.phase) ? json : undefined;
  });
}

describe('the Argo stub', () => {
  let stub: ArgoStub;

  beforeAll(async () => {
    stub = await startArgoStub({
      seed: 5,
      templates: 12,
      cronWorkflows: 4,
      workflows: 400,
      nodesPerWorkflow: 5,
      archivedShare: 0.25,
      maximumLimit: 100,
      stepMs: 40,
      forbiddenToken: 'reader-token',
    });
  });
  afterAll(() => stub.close());
  afterEach(() => {
    stub.taskOutcome = () => 'Succeeded';
    stub.faults.clear();
  });

  it('says its version, 3.7.18 by default and 4.1.2 when asked', async () => {
    const { status, json } = await call(stub, 'GET', '/api/v1/version');
    expect(status).toBe(200);
    expect(json).toMatchObject({ version: 'v3.7.18', gitCommit: expect.stringMatching(/^[0-9a-f]{40}$/) });
    const four = await startArgoStub({ argoVersion: '4.1.2', workflows: 0 });
    try {
      expect((await call(four, 'GET', '/api/v1/version')).json.version).toBe('v4.1.2');
    } finally {
      await four.close();
    }
  });

  it('answers 401 without or with a wrong token and 403 for a token without rights', async () => {
    const none = await call(stub, 'GET', W, undefined, { token: null });
    expect(none.status).toBe(401);
    expect(none.json).toMatchObject({ code: 16, message: expect.any(String) });
    expect((await call(stub, 'GET', W, undefined, { token: 'wrong' })).status).toBe(401);
    const forbidden = await call(stub, 'GET', W, undefined, { token: 'reader-token' });
    expect(forbidden.status).toBe(403);
    expect(forbidden.json.code).toBe(7);
  });

  it('runs a created DAG workflow through Running to Succeeded, with pod nodes and growing progress', async () => {
    const created = await call(stub, 'POST', W, dagWorkflow('sbx-dag-ok'));
    expect(created.status).toBe(200);
    expect(created.json.metadata).toMatchObject({ name: 'sbx-dag-ok', uid: expect.stringMatching(/^[0-9a-f-]{36}$/), resourceVersion: expect.any(String) });
    expect(created.json.status.phase).toBeUndefined();
    const seen = new Set<string>();
    const wf = await finished(stub, 'sbx-dag-ok', seen);
    expect(wf.status.phase).toBe('Succeeded');
    expect(wf.status.progress).toBe('3/3');
    expect([...seen].some((s) => s.startsWith('Running'))).toBe(true);
    expect([...seen].filter((s) => s.startsWith('Running')).map((s) => s.split(' ')[1])).not.toContain('3/3');
    const pods = podsOf(wf);
    expect(pods.map((n) => n.displayName).sort()).toEqual(['extract', 'load', 'transform']);
    for (const n of pods) {
      expect(n).toMatchObject({ name: `sbx-dag-ok.${n.displayName}`, type: 'Pod', templateName: 'work', phase: 'Succeeded', progress: '1/1' });
      expect(Date.parse(n.finishedAt)).toBeGreaterThanOrEqual(Date.parse(n.startedAt));
    }
    const root = wf.status.nodes['sbx-dag-ok'];
    expect(root).toMatchObject({ type: 'DAG', phase: 'Succeeded', progress: '3/3' });
    expect(root.children).toEqual([pods.find((n) => n.displayName === 'extract')!.id]);
    expect(Number(wf.metadata.resourceVersion)).toBeGreaterThan(Number(created.json.metadata.resourceVersion));
    expect(wf.metadata.labels).toMatchObject({ [LABEL_PHASE]: 'Succeeded', 'workflows.argoproj.io/completed': 'true' });
  });

  it('runs the steps example of the client notes with step groups', async () => {
    const body = exampleCreate();
    body.namespace = NS;
    body.workflow.metadata.name = 'sbx-steps';
    expect((await call(stub, 'POST', W, body)).status).toBe(200);
    const wf = await finished(stub, 'sbx-steps');
    expect(wf.status.phase).toBe('Succeeded');
    const pods = podsOf(wf);
    expect(pods.map((n) => n.name).sort()).toEqual(['sbx-steps[0].extract', 'sbx-steps[1].transform', 'sbx-steps[2].publish']);
    expect(Object.values(wf.status.nodes as Record<string, Json>).filter((n) => n.type === 'StepGroup')).toHaveLength(3);
  });

  it('fails a workflow whose task fails: its dependants get no node; a retry runs them', async () => {
    stub.taskOutcome = (wf, task) => (wf.name === 'sbx-dag-fail' && task === 'transform' ? 'Failed' : 'Succeeded');
    await call(stub, 'POST', W, dagWorkflow('sbx-dag-fail'));
    const wf = await finished(stub, 'sbx-dag-fail');
    expect(wf.status.phase).toBe('Failed');
    expect(wf.status.message).toMatch(/failed/);
    const pods = podsOf(wf);
    expect(pods.map((n) => [n.displayName, n.phase]).sort()).toEqual([
      ['extract', 'Succeeded'],
      ['transform', 'Failed'],
    ]);
    expect(wf.status.progress).toBe('1/2');

    stub.taskOutcome = () => 'Succeeded';
    const retried = await call(stub, 'PUT', `${W}/sbx-dag-fail/retry`, { name: 'sbx-dag-fail', namespace: NS });
    expect(retried.status).toBe(200);
    expect(retried.json.metadata.uid).toBe(wf.metadata.uid);
    expect(retried.json.status.phase).toBe('Running');
    const again = await finished(stub, 'sbx-dag-fail');
    expect(again.status.phase).toBe('Succeeded');
    expect(
      podsOf(again)
        .map((n) => n.displayName)
        .sort(),
    ).toEqual(['extract', 'load', 'transform']);
    const extract = (w: Json) => podsOf(w).find((n) => n.displayName === 'extract')!;
    expect(extract(again).id).toBe(extract(wf).id);

    const refused = await call(stub, 'PUT', `${W}/sbx-dag-fail/retry`);
    expect(refused.status).toBe(400);
    expect(refused.json.code).toBe(3);
  });

  it('ends a workflow Error when a task errors', async () => {
    stub.taskOutcome = (wf, task) => (wf.name === 'sbx-dag-error' && task === 'extract' ? 'Error' : 'Succeeded');
    await call(stub, 'POST', W, dagWorkflow('sbx-dag-error'));
    const wf = await finished(stub, 'sbx-dag-error');
    expect(wf.status.phase).toBe('Error');
    expect(podsOf(wf).map((n) => n.displayName)).toEqual(['extract']);
  });

  it('stops a running workflow: it ends Failed, its running nodes too', async () => {
    stub.data.stepMs = 60_000;
    try {
      await call(stub, 'POST', W, dagWorkflow('sbx-stop'));
      await waitFor('a running pod', async () => {
        const { json } = await call(stub, 'GET', `${W}/sbx-stop`);
        return podsOf(json).some((n) => n.phase === 'Running') ? true : undefined;
      });
      const stopped = await call(stub, 'PUT', `${W}/sbx-stop/stop`, { name: 'sbx-stop', namespace: NS, message: 'cancelled by signalbox' });
      expect(stopped.status).toBe(200);
      expect(stopped.json.status.phase).toBe('Failed');
      expect(stopped.json.status.message).toBe("Stopped with strategy 'Stop'");
      expect(podsOf(stopped.json).map((n) => [n.phase, n.message])).toEqual([['Failed', 'cancelled by signalbox']]);
      expect(stopped.json.status.nodes['sbx-stop'].phase).toBe('Failed');
      expect((await call(stub, 'PUT', `${W}/sbx-stop/terminate`, {})).status).toBe(400);
    } finally {
      stub.data.stepMs = 40;
    }
  });

  it('terminates a workflow and resubmits it as a new one', async () => {
    stub.data.stepMs = 60_000;
    try {
      await call(stub, 'POST', W, dagWorkflow('sbx-term'));
      const done = await call(stub, 'PUT', `${W}/sbx-term/terminate`, { name: 'sbx-term', namespace: NS });
      expect(done.json.status).toMatchObject({ phase: 'Failed', message: "Stopped with strategy 'Terminate'" });
    } finally {
      stub.data.stepMs = 40;
    }
    const again = await call(stub, 'PUT', `${W}/sbx-term/resubmit`, { name: 'sbx-term', namespace: NS, memoized: false });
    expect(again.status).toBe(200);
    const name = again.json.metadata.name as string;
    expect(name).toMatch(/^sbx-term-[a-z0-9]{5}$/);
    expect(again.json.metadata.labels).toMatchObject({ 'signalbox.io/run-id': 'sbx-term', 'workflows.argoproj.io/resubmitted-from-workflow': 'sbx-term' });
    expect((await finished(stub, name)).status.phase).toBe('Succeeded');
  });

  it('runs DAG tasks joined with depends "a && b" after both', async () => {
    const body = dagWorkflow('sbx-join');
    body.workflow.spec.templates[0].dag!.tasks = [
      { name: 'left', template: 'work' },
      { name: 'right', template: 'work' },
      { name: 'join', template: 'work', depends: 'left && right' },
    ] as any;
    await call(stub, 'POST', W, body);
    const wf = await finished(stub, 'sbx-join');
    const pods = podsOf(wf);
    const join = pods.find((n) => n.displayName === 'join')!;
    for (const n of pods.filter((x) => x.displayName !== 'join')) {
      expect(n.children).toEqual([join.id]);
      expect(Date.parse(join.startedAt)).toBeGreaterThanOrEqual(Date.parse(n.finishedAt));
    }
    expect(wf.status.nodes['sbx-join'].children.sort()).toEqual(
      pods
        .filter((x) => x.displayName !== 'join')
        .map((n) => n.id)
        .sort(),
    );
  });

  it('retries a failed steps workflow from the failed step', async () => {
    stub.taskOutcome = (wf, task) => (wf.name === 'sbx-steps-retry' && task === 'transform' ? 'Failed' : 'Succeeded');
    const body = exampleCreate();
    body.namespace = NS;
    body.workflow.metadata.name = 'sbx-steps-retry';
    await call(stub, 'POST', W, body);
    const failed = await finished(stub, 'sbx-steps-retry');
    expect(failed.status.phase).toBe('Failed');
    expect(podsOf(failed).map((n) => n.displayName)).toEqual(['extract', 'transform']);
    stub.taskOutcome = () => 'Succeeded';
    await call(stub, 'PUT', `${W}/sbx-steps-retry/retry`, {});
    const done = await finished(stub, 'sbx-steps-retry');
    expect(done.status.phase).toBe('Succeeded');
    expect(done.status.progress).toBe('3/3');
    expect(podsOf(done).map((n) => n.name)).toEqual(['sbx-steps-retry[0].extract', 'sbx-steps-retry[1].transform', 'sbx-steps-retry[2].publish']);
  });

  it('streams workflow events as NDJSON and as SSE, filtered by label and trimmed by fields', async () => {
    const watch = async (name: string, sse: boolean) => {
      const fields = 'result.type,result.object.metadata.name,result.object.metadata.resourceVersion,result.object.status.phase,result.object.status.progress';
      const url = `${stub.url}/api/v1/workflow-events/${NS}?listOptions.labelSelector=${encodeURIComponent(`signalbox.io/run-id=${name}`)}&fields=${fields}`;
      const controller = new AbortController();
      const headers: Record<string, string> = { authorization: `Bearer ${stub.token}` };
      if (sse) headers.accept = 'text/event-stream';
      const res = await fetch(url, { headers, signal: controller.signal });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain(sse ? 'text/event-stream' : 'application/json');
      const events: Json[] = [];
      const reader = res.body!.getReader();
      const decoder = new TextDecoder();
      let buffer = '';
      const done = (async () => {
        for (;;) {
          const { value, done: end } = await reader.read();
          if (end) return;
          buffer += decoder.decode(value, { stream: true });
          const parts = buffer.split(sse ? '\n\n' : '\n');
          buffer = parts.pop()!;
          for (const part of parts) {
            if (!part.trim() || part.startsWith(':')) continue;
            const event = JSON.parse(sse ? part.replace(/^data: /, '') : part);
            for (const v of ARGO_SPEC_VERSIONS) {
              // `fields` leaves out `spec`, which the schema requires: the real server does the same.
              const errors = argoSwagger(v).checkResponse('GET', `/api/v1/workflow-events/${NS}`, 200, event);
              expect(errors.filter((e) => !/missing required property 'spec'/.test(e))).toEqual([]);
            }
            events.push(event);
            if (event.result.object.status?.phase === 'Succeeded') return;
          }
        }
      })();
      await call(stub, 'POST', W, dagWorkflow(name));
      await done;
      controller.abort();
      return events;
    };
    for (const sse of [false, true]) {
      const name = sse ? 'sbx-watch-sse' : 'sbx-watch';
      const events = await watch(name, sse);
      expect(events[0].result).toEqual({ type: 'ADDED', object: { metadata: { name, resourceVersion: expect.any(String) }, status: {} } });
      expect(events.slice(1).every((e) => e.result.type === 'MODIFIED' && e.result.object.metadata.name === name)).toBe(true);
      const rvs = events.map((e) => Number(e.result.object.metadata.resourceVersion));
      expect(rvs.every((v, i) => i === 0 || v > rvs[i - 1])).toBe(true);
      expect(events.at(-1)!.result.object.status).toEqual({ phase: 'Succeeded', progress: '3/3' });
    }
  });

  it('lints a workflow: the workflow back when valid, 500 with the reason when not', async () => {
    const ok = await call(stub, 'POST', `${W}/lint`, dagWorkflow('sbx-lint'));
    expect(ok.status).toBe(200);
    expect(ok.json.metadata.name).toBe('sbx-lint');
    const bad = dagWorkflow('sbx-lint');
    bad.workflow.spec.templates[1].container!.args = ['{{nope}}'];
    const refused = await call(stub, 'POST', `${W}/lint`, bad);
    expect(refused.status).toBe(500);
    expect(refused.json.message).toMatch(/failed to resolve \{\{nope\}\}/);
    expect((await call(stub, 'GET', `${W}/sbx-lint`)).status).toBe(404);
  });

  it('refuses a second workflow of the same name with 409 code 6', async () => {
    expect((await call(stub, 'POST', W, dagWorkflow('sbx-dup'))).status).toBe(200);
    const again = await call(stub, 'POST', W, dagWorkflow('sbx-dup'));
    expect(again.status).toBe(409);
    expect(again.json).toEqual({ code: 6, message: 'workflows.argoproj.io "sbx-dup" already exists' });
  });

  it('returns a serverDryRun create as stored without storing it', async () => {
    const before = stub.data.workflows.length;
    const dry = await call(stub, 'POST', W, { ...dagWorkflow('sbx-dry'), serverDryRun: true });
    expect(dry.status).toBe(200);
    expect(dry.json.metadata).toMatchObject({ name: 'sbx-dry', uid: expect.any(String) });
    expect(stub.data.workflows.length).toBe(before);
    expect((await call(stub, 'GET', `${W}/sbx-dry`)).status).toBe(404);
  });

  it('pages with limit and continue over every workflow exactly once, and refuses a bad continue', async () => {
    const fields = 'metadata,items.metadata.name,items.status.phase,items.status.finishedAt';
    const names: string[] = [];
    let cont = '';
    let pages = 0;
    do {
      const { status, json } = await call(stub, 'GET', `${W}?listOptions.limit=37&fields=${fields}${cont ? `&listOptions.continue=${cont}` : ''}`, undefined, {
        allow: /missing required property 'spec'/,
      });
      expect(status).toBe(200);
      expect(json.items.length).toBeLessThanOrEqual(37);
      const finishedAt = json.items.map((w: Json) => w.status.finishedAt ?? null);
      const done = finishedAt.filter((f: string | null) => f !== null);
      expect(finishedAt.slice(0, finishedAt.length - done.length).every((f: string | null) => f === null)).toBe(true);
      expect([...done].sort().reverse()).toEqual(done);
      names.push(...json.items.map((w: Json) => w.metadata.name));
      cont = json.metadata.continue ?? '';
      pages++;
    } while (cont);
    const expected = stub.data.workflows.filter((w) => w.namespace === NS).map((w) => w.name);
    expect(names.sort()).toEqual([...expected].sort());
    expect(new Set(names).size).toBe(names.length);
    expect(pages).toBe(Math.ceil(expected.length / 37));
    const capped = await call(stub, 'GET', `${W}?listOptions.limit=1000&fields=metadata,items.metadata.name`, undefined, { allow: /'spec'/ });
    expect(capped.json.items).toHaveLength(100);
    const everywhere = await call(stub, 'GET', '/api/v1/workflows/?listOptions.limit=5');
    expect(everywhere.json.items).toHaveLength(5);
    const bad = await call(stub, 'GET', `${W}?listOptions.limit=5&listOptions.continue=abc`);
    expect(bad.status).toBe(400);
    expect(bad.json.code).toBe(3);
    expect((await call(stub, 'GET', `${W}?listOptions.fieldSelector=status.phase%3DRunning`)).status).toBe(400);
  });

  it('pages a listing over what changed between its pages (a workflow created, one archived, one deleted)', async () => {
    const selector = encodeURIComponent('workflows.argoproj.io/workflow-archiving-status!=Archived');
    const page = async (cont: string) =>
      (
        await call(
          stub,
          'GET',
          `${W}?listOptions.limit=50&listOptions.labelSelector=${selector}&fields=metadata,items.metadata.name&listOptions.continue=${cont}`,
          undefined,
          {
            allow: /'spec'/,
          },
        )
      ).json;
    const live = () => stub.data.workflows.filter((w) => !w.archived).map((w) => w.name);
    const first = await page('');
    const before = live();
    expect(first.items.map((w: Json) => w.metadata.name).sort()).toEqual(before.slice(0, 50).sort());
    // The same continuation twice, nothing created, archived or deleted in between: the same page
    // (the list's resourceVersion may move meanwhile, as workflows of other tests make progress).
    expect((await page('50')).items).toEqual((await page('50')).items);
    expect((await call(stub, 'POST', W, dagWorkflow('sbx-between-pages'))).status).toBe(200);
    stub.data.archive(NS, before[120]);
    stub.data.deleteWorkflow(NS, before[130]);
    const after = live();
    expect(after).toContain('sbx-between-pages');
    expect(after).not.toContain(before[120]);
    const rest: string[] = [];
    for (let cont = String(first.items.length); cont; ) {
      const json = await page(cont);
      rest.push(...json.items.map((w: Json) => w.metadata.name));
      cont = json.metadata.continue ?? '';
    }
    expect(rest.sort()).toEqual(after.slice(50).sort());
  });

  it('filters by label selectors', async () => {
    const list = async (selector: string) => {
      const { status, json } = await call(stub, 'GET', `${W}?listOptions.limit=100&listOptions.labelSelector=${encodeURIComponent(selector)}`);
      expect(status).toBe(200);
      return json.items as Json[];
    };
    const byTpl = await list(`${LABEL_TEMPLATE}=etl-0001`);
    expect(byTpl.length).toBeGreaterThan(0);
    expect(byTpl.every((w) => w.metadata.labels[LABEL_TEMPLATE] === 'etl-0001')).toBe(true);
    const failed = await list(`${LABEL_PHASE} in (Failed,Error),!${LABEL_CRON}`);
    expect(failed.length).toBeGreaterThan(0);
    expect(failed.every((w) => ['Failed', 'Error'].includes(w.status.phase) && !w.metadata.labels[LABEL_CRON])).toBe(true);
    const notDone = await list('workflows.argoproj.io/completed=false');
    expect(notDone.every((w) => !['Succeeded', 'Failed', 'Error'].includes(w.status.phase))).toBe(true);
    const notin = await list(`${LABEL_PHASE} notin (Succeeded),${LABEL_CRON}`);
    expect(notin.every((w) => w.status.phase !== 'Succeeded' && w.metadata.labels[LABEL_CRON])).toBe(true);
    const expectedNotin = stub.data.workflows.filter((w) => w.phase !== 'Succeeded' && w.labels[LABEL_CRON]).length;
    expect(notin).toHaveLength(Math.min(100, expectedNotin));
    expect((await call(stub, 'GET', `${W}?listOptions.labelSelector=${encodeURIComponent('a in b')}`)).status).toBe(400);
  });

  it('trims answers with fields (keep list on lists, drop list on get)', async () => {
    const fields =
      'metadata,items.metadata.name,items.metadata.uid,items.metadata.labels,items.status.phase,items.status.startedAt,items.status.finishedAt,items.status.progress';
    const { json } = await call(stub, 'GET', `${W}?listOptions.limit=20&fields=${fields}`, undefined, { allow: /missing required property 'spec'/ });
    expect(Object.keys(json).sort()).toEqual(['items', 'metadata']);
    for (const w of json.items) {
      expect(Object.keys(w).sort()).toEqual(['metadata', 'status']);
      expect(Object.keys(w.metadata).sort()).toEqual(['labels', 'name', 'uid']);
      expect(Object.keys(w.status).every((k) => ['phase', 'startedAt', 'finishedAt', 'progress'].includes(k))).toBe(true);
    }
    const name = json.items[0].metadata.name;
    const got = await call(stub, 'GET', `${W}/${name}?fields=-status.nodes`);
    expect(got.json.status.phase).toBeDefined();
    expect(got.json.status.nodes).toBeUndefined();
    expect(got.json.spec).toBeDefined();
  });

  it('serves archived workflows without nodes in lists, with nodes on GET, and after deletion', async () => {
    const archived = stub.data.workflows.filter((w) => w.archived);
    expect(archived.length).toBeGreaterThan(0);
    const ids = new Set(archived.map((w) => w.uid));
    const { json } = await call(stub, 'GET', `${W}?listOptions.limit=100&listOptions.labelSelector=${encodeURIComponent(`${LABEL_ARCHIVING}=Archived`)}`);
    expect(json.items.length).toBe(Math.min(100, archived.length));
    for (const w of json.items) {
      expect(ids.has(w.metadata.uid)).toBe(true);
      expect(w.status.nodes).toBeUndefined();
      expect(w.status.progress).toMatch(/^\d+\/\d+$/);
    }
    const liveOnes = await call(stub, 'GET', `${W}?listOptions.limit=50&listOptions.labelSelector=${encodeURIComponent(`!${LABEL_ARCHIVING}`)}`);
    expect(liveOnes.json.items.some((w: Json) => w.status.nodes && Object.keys(w.status.nodes).length > 0)).toBe(true);
    const one = archived[0];
    const full = await call(stub, 'GET', `${W}/${one.name}`);
    expect(podsOf(full.json).length).toBeGreaterThan(0);
    const fromArchive = await call(stub, 'GET', `/api/v1/archived-workflows?namespace=${NS}&listOptions.limit=500`);
    expect(fromArchive.json.items).toHaveLength(Math.min(100, archived.length));
    expect(fromArchive.json.items.every((w: Json) => ids.has(w.metadata.uid) && !w.status.nodes)).toBe(true);
    expect((await call(stub, 'GET', `/api/v1/archived-workflows/${one.uid}?namespace=${NS}`)).json.status.nodes).toBeDefined();
    expect((await call(stub, 'DELETE', `${W}/${one.name}`)).status).toBe(200);
    const after = await call(stub, 'GET', `${W}/${one.name}`);
    expect(after.status).toBe(200);
    expect(after.json.metadata.uid).toBe(one.uid);
    expect((await call(stub, 'DELETE', `/api/v1/archived-workflows/${one.uid}?namespace=${NS}`)).status).toBe(200);
    expect((await call(stub, 'GET', `${W}/${one.name}`)).status).toBe(404);
    expect((await call(stub, 'GET', `/api/v1/archived-workflows/${one.uid}`)).status).toBe(404);
    const plain = stub.data.workflows.find((w) => !w.archived && w.phase === 'Succeeded')!;
    expect((await call(stub, 'DELETE', `${W}/${plain.name}`)).status).toBe(200);
    const gone = await call(stub, 'GET', `${W}/${plain.name}`);
    expect(gone.status).toBe(404);
    expect(gone.json.code).toBe(5);
  });

  it('lists, creates, reads and deletes workflow templates, and submits one with labels and parameters', async () => {
    const first = await call(stub, 'GET', `/api/v1/workflow-templates/${NS}?listOptions.limit=5`);
    expect(first.json.items).toHaveLength(5);
    const second = await call(stub, 'GET', `/api/v1/workflow-templates/${NS}?listOptions.limit=100&listOptions.continue=${first.json.metadata.continue}`);
    expect(second.json.items).toHaveLength(7);
    const template = { metadata: { name: 'sbx-tpl' }, spec: dagWorkflow('x').workflow.spec };
    expect((await call(stub, 'POST', `/api/v1/workflow-templates/${NS}`, { namespace: NS, template })).status).toBe(200);
    expect((await call(stub, 'GET', `/api/v1/workflow-templates/${NS}/sbx-tpl`)).json.spec.entrypoint).toBe('main');
    const submit = {
      namespace: NS,
      resourceKind: 'WorkflowTemplate',
      resourceName: 'sbx-tpl',
      submitOptions: { name: 'sbx-from-tpl', parameters: ['day=2026-01-01'], labels: 'signalbox.io/run-id=r1,team=data' },
    };
    const made = await call(stub, 'POST', `${W}/submit`, submit);
    expect(made.status).toBe(200);
    expect(made.json.metadata.name).toBe('sbx-from-tpl');
    expect(made.json.metadata.labels).toMatchObject({ [LABEL_TEMPLATE]: 'sbx-tpl', 'signalbox.io/run-id': 'r1', team: 'data' });
    expect(made.json.spec).toMatchObject({ workflowTemplateRef: { name: 'sbx-tpl' }, arguments: { parameters: [{ name: 'day', value: '2026-01-01' }] } });
    expect((await finished(stub, 'sbx-from-tpl')).status.phase).toBe('Succeeded');
    const clash = await call(stub, 'POST', `${W}/submit`, submit);
    expect(clash.status).toBe(409);
    expect(clash.json.code).toBe(6);
    const generated = await call(stub, 'POST', `${W}/submit`, { namespace: NS, resourceKind: 'WorkflowTemplate', resourceName: 'sbx-tpl' });
    expect(generated.json.metadata.name).toMatch(/^sbx-tpl-[a-z0-9]{5}$/);
    expect((await call(stub, 'DELETE', `/api/v1/workflow-templates/${NS}/sbx-tpl`)).status).toBe(200);
    expect((await call(stub, 'GET', `/api/v1/workflow-templates/${NS}/sbx-tpl`)).status).toBe(404);
  });

  it('lists cron workflows, suspends and resumes one, and submits from it', async () => {
    const { json } = await call(stub, 'GET', `/api/v1/cron-workflows/${NS}`);
    expect(json.items).toHaveLength(4);
    expect(json.items.every((c: Json) => Array.isArray(c.spec.schedules) && c.spec.schedule === undefined)).toBe(true);
    const cron = {
      metadata: { name: 'sbx-cron' },
      spec: { schedules: ['0 3 * * *'], workflowSpec: dagWorkflow('x').workflow.spec },
    };
    expect((await call(stub, 'POST', `/api/v1/cron-workflows/${NS}`, { namespace: NS, cronWorkflow: cron })).status).toBe(200);
    const suspended = await call(stub, 'PUT', `/api/v1/cron-workflows/${NS}/sbx-cron/suspend`, { name: 'sbx-cron', namespace: NS });
    expect(suspended.json.spec.suspend).toBe(true);
    const resumed = await call(stub, 'PUT', `/api/v1/cron-workflows/${NS}/sbx-cron/resume`, { name: 'sbx-cron', namespace: NS });
    expect(resumed.json.spec.suspend).toBe(false);
    expect((await call(stub, 'GET', `/api/v1/cron-workflows/${NS}/sbx-cron`)).json.spec.suspend).toBe(false);
    const made = await call(stub, 'POST', `${W}/submit`, { namespace: NS, resourceKind: 'CronWorkflow', resourceName: 'sbx-cron' });
    expect(made.status).toBe(200);
    expect(made.json.metadata.labels[LABEL_CRON]).toBe('sbx-cron');
    expect((await finished(stub, made.json.metadata.name)).status.phase).toBe('Succeeded');
  });

  it('refuses invalid workflows with 400 code 3', async () => {
    const expectInvalid = async (body: unknown, message: RegExp) => {
      const { status, json } = await call(stub, 'POST', W, body);
      expect(status).toBe(400);
      expect(json.code).toBe(3);
      expect(json.message).toMatch(message);
    };
    const badTask = dagWorkflow('sbx-bad-task');
    badTask.workflow.spec.templates[0].dag!.tasks[0].name = 'bad_name';
    await expectInvalid(badTask, /bad_name/);
    const badTag = dagWorkflow('sbx-bad-tag');
    badTag.workflow.spec.templates[1].container!.args = ['{{ds}}'];
    await expectInvalid(badTag, /failed to resolve \{\{ds\}\}/);
    const badDep = dagWorkflow('sbx-bad-dep');
    badDep.workflow.spec.templates[0].dag!.tasks[1].dependencies = ['nope'];
    await expectInvalid(badDep, /nope/);
    const badType = dagWorkflow('sbx-bad-type') as Json;
    badType.workflow.spec.entrypoint = 5;
    await expectInvalid(badType, /entrypoint: must be string/);
    const noEntry = dagWorkflow('sbx-no-entry') as Json;
    badType.workflow.spec.entrypoint = undefined;
    noEntry.workflow.spec.entrypoint = 'missing';
    await expectInvalid(noEntry, /missing/);
    const notJson = await call(stub, 'POST', W, undefined, { raw: '{"workflow": ' });
    expect(notJson.status).toBe(400);
    expect(notJson.json.code).toBe(3);
    const unknown = await call(stub, 'GET', `/api/v1/workflow-eventz/${NS}`);
    expect(unknown.status).toBe(404);
    expect(unknown.json.code).toBe(5);
    expect(stub.data.workflows.some((w) => w.name.startsWith('sbx-bad'))).toBe(false);
  });

  it('fires faults: 503, a hang the client times out on, 429 with Retry-After', async () => {
    stub.faults.add({ kind: 'status', status: 503, path: '/api/v1/workflows', times: 1 });
    const unavailable = await call(stub, 'GET', W);
    expect(unavailable.status).toBe(503);
    expect(unavailable.json.code).toBe(14);
    expect((await call(stub, 'GET', `${W}?listOptions.limit=1`)).status).toBe(200);
    stub.faults.add({ kind: 'hang', path: '/api/v1/version', times: 1 });
    await expect(
      fetch(`${stub.url}/api/v1/version`, { headers: { authorization: `Bearer ${stub.token}` }, signal: AbortSignal.timeout(300) }),
    ).rejects.toThrow();
    stub.faults.add({ kind: 'rate_limit', retryAfter: 2, times: 1 });
    const limited = await call(stub, 'GET', '/api/v1/version');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('2');
    expect(limited.json.code).toBe(8);
    expect(stub.faults.fired()).toEqual([1, 1, 1]);
  });

  it('records swagger violations of requests it receives, and none for valid ones', async () => {
    stub.violations.length = 0;
    await call(stub, 'GET', `${W}?listOptions.limit=3&listOptions.labelSelector=a%3Db&fields=metadata`, undefined, { allow: /./ });
    await call(stub, 'POST', W, dagWorkflow('sbx-valid'));
    await call(stub, 'PUT', `${W}/sbx-valid/stop`, { message: 'x' });
    expect(stub.violations).toEqual([]);
    await call(stub, 'GET', `${W}?listOptions.limit=3&listOptions.limitt=3`);
    expect(stub.violations.map((v) => v.version).sort()).toEqual([...ARGO_SPEC_VERSIONS].sort());
    for (const v of stub.violations) {
      expect(v.request).toContain('listOptions.limitt=3');
      expect(v.errors).toEqual(['query parameter listOptions.limitt is not declared for GET /api/v1/workflows/{namespace}']);
    }
  });
});

describe('an Argo stub with nothing in it', () => {
  it('answers empty lists with items null when asked to, [] otherwise', async () => {
    const empty = await startArgoStub({ templates: 0, cronWorkflows: 0, workflows: 0, nullEmptyItems: true });
    const other = await startArgoStub({ templates: 0, cronWorkflows: 0, workflows: 0 });
    try {
      const res = await fetch(`${empty.url}${W}?listOptions.limit=10`, { headers: { authorization: `Bearer ${empty.token}` } });
      expect(await res.json()).toEqual({ metadata: { resourceVersion: expect.any(String) }, items: null });
      expect((await call(other, 'GET', `${W}?listOptions.limit=10`)).json.items).toEqual([]);
      expect((await call(other, 'GET', `/api/v1/workflow-templates/${NS}`)).json.items).toEqual([]);
    } finally {
      await Promise.all([empty.close(), other.close()]);
    }
  });
});

describe('the Argo stub at scale', () => {
  it('keeps 100,000 workflows and 2,000 templates compact and renders a page of 500 quickly', async () => {
    // Collect garbage before both readings, so the growth is what the stub keeps.
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    gc();
    const before = process.memoryUsage().heapUsed;
    const stub = await startArgoStub({
      workflows: 100_000,
      templates: 2_000,
      cronWorkflows: 200,
      nodesPerWorkflow: 8,
      archivedShare: 0.3,
      validateRequests: false,
    });
    try {
      gc();
      const grown = (process.memoryUsage().heapUsed - before) / 1e6;
      expect(grown).toBeLessThan(300);
      const fields = 'metadata,items.metadata.name,items.metadata.uid,items.metadata.labels,items.status.phase,items.status.finishedAt,items.status.progress';
      const path = `${W}?listOptions.limit=500&listOptions.continue=60000&fields=${fields}`;
      await call(stub, 'GET', path, undefined, { allow: /'spec'/ });
      const t0 = performance.now();
      const { json } = await call(stub, 'GET', path, undefined, { allow: /'spec'/ });
      const ms = performance.now() - t0;
      expect(json.items).toHaveLength(500);
      // Tens of milliseconds here (validation of the answer included); generous for slow machines.
      expect(ms).toBeLessThan(2_000);
      const full = await call(stub, 'GET', `${W}?listOptions.limit=50`);
      expect(full.json.items).toHaveLength(50);
    } finally {
      await stub.close();
    }
  });
});
