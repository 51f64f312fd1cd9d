import { exampleCreate } from './examples';
import { ARGO_SPEC_VERSIONS, argoSwagger } from './swagger';

describe.each(ARGO_SPEC_VERSIONS)('the Argo %s swagger', (version) => {
  const swagger = argoSwagger(version);
  const create = (body: unknown, query: Record<string, string | string[]> = {}) =>
    swagger.checkRequest({ method: 'POST', path: '/api/v1/workflows/dp', query, body });

  it('accepts the example create request of the client notes', () => {
    expect(create(exampleCreate())).toEqual([]);
  });

  it('names a body field of the wrong type', () => {
    const body = exampleCreate();
    (body.workflow.spec as any).entrypoint = 42;
    const errors = create(body);
    expect(errors.join('\n')).toContain('body/workflow/spec/entrypoint: must be string');
    const other = exampleCreate();
    (other as any).serverDryRun = 'yes';
    expect(create(other)).toEqual(['body/serverDryRun: must be boolean']);
  });

  it('wants IntOrString fields as strings, as both files declare them', () => {
    const body = exampleCreate();
    (body.workflow.spec.templates[1] as any).retryStrategy = { limit: 2 };
    expect(create(body)).toEqual([expect.stringContaining('body/workflow/spec/templates/1/retryStrategy/limit: must be string (IntOrString')]);
    (body.workflow.spec.templates[1] as any).retryStrategy = { limit: '2' };
    expect(create(body)).toEqual([]);
  });

  it('names an undeclared query parameter and a bad integer', () => {
    const list = (query: Record<string, string | string[]>) => swagger.checkRequest({ method: 'GET', path: '/api/v1/workflows/dp', query });
    expect(list({ 'listOptions.limit': '50', 'listOptions.continue': '100', fields: 'metadata', nameFilter: 'Prefix' })).toEqual([]);
    expect(list({ 'listOptions.limmit': '50' })).toEqual(['query parameter listOptions.limmit is not declared for GET /api/v1/workflows/{namespace}']);
    expect(list({ 'listOptions.limit': 'ten' })).toEqual([expect.stringContaining("listOptions.limit: 'ten' is not an integer")]);
    expect(list({ 'listOptions.watch': 'maybe' })).toEqual([expect.stringContaining("listOptions.watch: 'maybe' is not a boolean")]);
    expect(list({ 'listOptions.limit': ['1', '2'] })).toEqual([expect.stringContaining('given 2 times')]);
  });

  it('names an unknown path and a method the path does not have', () => {
    expect(swagger.checkRequest({ method: 'GET', path: '/api/v1/workflowz/dp', query: {} })).toEqual([
      `${version}: no path /api/v1/workflowz/dp in the swagger`,
    ]);
    expect(swagger.checkRequest({ method: 'PATCH', path: '/api/v1/workflows/dp', query: {} })).toEqual([
      `${version}: /api/v1/workflows/{namespace} has no PATCH operation`,
    ]);
    expect(swagger.checkRequest({ method: 'GET', path: '/api/v1/workflows//x', query: {} })).toEqual([
      'path parameter namespace of /api/v1/workflows/{namespace}/{name} is empty',
    ]);
  });

  it('prefers literal segments over parameters when matching paths', () => {
    expect(swagger.match('POST', '/api/v1/workflows/dp/submit')?.template).toBe('/api/v1/workflows/{namespace}/submit');
    expect(swagger.match('GET', '/api/v1/workflows/dp/submit')?.template).toBe('/api/v1/workflows/{namespace}/{name}');
    expect(swagger.match('PUT', '/api/v1/workflows/dp/wf-1/stop')).toMatchObject({ params: { namespace: 'dp', name: 'wf-1' } });
  });

  it('checks response bodies against the declared schema or the default', () => {
    const wf = { metadata: { name: 'a' }, spec: {}, status: { phase: 'Running', nodes: { a: { id: 'a', name: 'a', type: 'DAG' } } } };
    expect(swagger.checkResponse('GET', '/api/v1/workflows/dp/a', 200, wf)).toEqual([]);
    const bad = { metadata: { name: 'a' }, spec: {}, status: { nodes: { a: { id: 'a', name: 'a' } } } };
    expect(swagger.checkResponse('GET', '/api/v1/workflows/dp/a', 200, bad)).toEqual(["response/status/nodes/a: missing required property 'type'"]);
    expect(swagger.checkResponse('GET', '/api/v1/workflows/dp/a', 404, { code: 5, message: 'not found' })).toEqual([]);
    expect(swagger.checkResponse('GET', '/api/v1/workflows/dp/a', 404, { code: 'five' })).toEqual(['response/code: must be integer']);
    expect(swagger.checkResponse('GET', '/api/v1/workflows/dp', 200, { metadata: {}, items: null })).toEqual(['response/items: must be array']);
  });

  it('validates a large body in milliseconds once compiled', () => {
    create(exampleCreate());
    const body = exampleCreate();
    body.workflow.spec.templates[0].steps = Array.from({ length: 200 }, (_, i) => [
      { name: `s${i}`, template: 'sql', arguments: { parameters: [{ name: 'q', value: 'x' }] } },
    ]);
    const t0 = performance.now();
    for (let i = 0; i < 20; i++) expect(create(body)).toEqual([]);
    // Generous: about a millisecond each here; the bound is for slow CI machines.
    expect((performance.now() - t0) / 20).toBeLessThan(100);
  });
});
