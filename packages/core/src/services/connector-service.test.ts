import { publicConfig } from '../connector/connector';
import { DomainError } from '../errors';
import { ProviderRegistry } from '../ports/provider';
import { DEFAULT_PAGE } from './test-page';
import { dag, HOUR, providerRun, syncAcme, world } from './test-world';

describe('ConnectorService', () => {
  it('refuses unknown types and bad configs, naming the field', async () => {
    const w = await world();
    await expect(w.services.connectors.create(w.admin, 'acme', { name: 'x', type: 'argo', config: {} })).rejects.toMatchObject({
      details: [{ field: 'type' }],
    });
    await expect(w.services.connectors.create(w.admin, 'acme', { name: 'main', type: 'mock', config: {} })).rejects.toMatchObject({ code: 'CONNECTOR_EXISTS' });
    const registry = new ProviderRegistry();
    expect(() => registry.factory('airflow')).toThrow(expect.objectContaining({ kind: 'invalid', details: [expect.objectContaining({ field: 'type' })] }));
  });

  it('merges config edits: absent keys, secrets included, are kept; null removes a key', async () => {
    const w = await world();
    const c = await w.services.connectors.create(w.admin, 'acme', { name: 'af', type: 'mock', config: { base_url: 'http://a', username: 'u', password: 'p' } });
    const edited = await w.services.connectors.update(w.admin, 'acme', c.id, { config: { base_url: 'http://b', username: null } });
    expect(edited.config).toEqual({ base_url: 'http://b', password: 'p' });
    expect(publicConfig(edited.config)).toEqual({ base_url: 'http://b', password_set: true });
    expect((await w.services.connectors.update(w.admin, 'acme', c.id, { name: 'renamed' })).config).toEqual(edited.config);
  });

  it('keeps the sync cursor through a rename or a new secret, and resets it when the source changes', async () => {
    const w = await world();
    w.provider.pipelineList = [dag('etl')];
    w.provider.runList = [providerRun('etl', 'r1', new Date(w.clock.now().getTime() - HOUR))];
    await syncAcme(w);
    const cursor = (await w.services.connectors.get(w.viewer, 'acme', w.connector.id)).cursor;
    expect(cursor).not.toBeNull();
    expect((await w.services.connectors.update(w.admin, 'acme', w.connector.id, { name: 'renamed', config: { password: 'rotated' } })).cursor).toBe(cursor);
    expect((await w.services.connectors.get(w.viewer, 'acme', w.connector.id)).cursor).toBe(cursor);
    const moved = await w.services.connectors.update(w.admin, 'acme', w.connector.id, { config: { base_url: 'http://elsewhere' } });
    expect(moved.cursor).toBeNull();
    expect((await w.services.connectors.get(w.viewer, 'acme', w.connector.id)).cursor).toBeNull();
  });

  it('deletes a connector with what it synced', async () => {
    const w = await world();
    w.provider.pipelineList = [dag('etl')];
    await syncAcme(w);
    expect((await w.services.pipelines.list(w.viewer, 'acme', {}, DEFAULT_PAGE)).total).toBe(1);
    await w.services.connectors.delete(w.admin, 'acme', w.connector.id);
    expect((await w.services.pipelines.list(w.viewer, 'acme', {}, DEFAULT_PAGE)).total).toBe(0);
    await expect(w.services.connectors.get(w.viewer, 'acme', w.connector.id)).rejects.toMatchObject({ code: 'CONNECTOR_NOT_FOUND' });
  });

  it('checks a connector of a type that asks for it before creating it, and creates nothing when the check fails', async () => {
    const w = await world();
    let answer: Error | null = new DomainError('bad_gateway', 'PROVIDER_AUTH_FAILED', 'the orchestrator refused our credentials');
    const checked: string[] = [];
    w.registry.register('argo', {
      create: (c) =>
        Object.assign(Object.create(w.provider), {
          check: async () => {
            checked.push(String(c.config.base_url));
            if (answer) throw answer;
            return { name: 'argo', version: 'v3.7.18', apiVersion: 'v1' };
          },
        }),
      checkConfig: (c) => c,
      checkOnCreate: true,
    });
    const input = { name: 'cluster', type: 'argo', config: { base_url: 'https://argo.example.com' } };
    await expect(w.services.connectors.create(w.root, 'acme', input)).rejects.toMatchObject({ kind: 'bad_gateway', code: 'PROVIDER_AUTH_FAILED' });
    expect(await w.repos.connectors.getByName(w.acme.id, 'cluster')).toBeUndefined();
    answer = null;
    expect(await w.services.connectors.create(w.root, 'acme', input)).toMatchObject({ name: 'cluster', type: 'argo' });
    expect(checked).toEqual(['https://argo.example.com', 'https://argo.example.com']);
    // A type that does not ask is created without a word to its orchestrator.
    w.provider.failAfter(0, 503, 'down');
    await expect(w.services.connectors.create(w.root, 'acme', { name: 'quiet', type: 'mock', config: {} })).resolves.toMatchObject({ name: 'quiet' });
  });

  it('checks the connection through the provider', async () => {
    const w = await world();
    await expect(w.services.connectors.check(w.admin, 'acme', w.connector.id)).resolves.toMatchObject({ name: 'memory' });
    w.provider.failAfter(0, 401, 'bad credentials');
    await expect(w.services.connectors.check(w.admin, 'acme', w.connector.id)).rejects.toMatchObject({
      kind: 'bad_gateway',
      code: 'PROVIDER_AUTH_FAILED',
      provider: { status: 401 },
    });
  });
});
