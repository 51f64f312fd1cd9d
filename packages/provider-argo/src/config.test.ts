import { newConnector } from '@signalbox/core';
import { argoConfigOf, checkArgoConfig, DEFAULT_IMAGE } from './config';

const base = { base_url: 'https://argo.example.com:2746', namespace: 'data', token: 'tok', warehouse_secret: { name: 'warehouse', key: 'url' } };

const reason = (config: Record<string, unknown>): string => {
  try {
    checkArgoConfig(config);
  } catch (err) {
    const e = err as { kind: string; details: { field: string; reason: string }[] };
    expect(e.kind).toBe('invalid');
    return `${e.details[0].field}: ${e.details[0].reason}`;
  }
  throw new Error('expected the config to be refused');
};

describe('checkArgoConfig', () => {
  it('normalizes a good config: trailing slash and a pasted /api/v1 trimmed, the default image filled in', () => {
    expect(checkArgoConfig({ ...base, base_url: 'https://argo.example.com:2746/argo/api/v1/' })).toEqual({
      base_url: 'https://argo.example.com:2746/argo',
      namespace: 'data',
      token: 'tok',
      image: DEFAULT_IMAGE,
      warehouse_secret: { name: 'warehouse', key: 'url' },
    });
    expect(DEFAULT_IMAGE).toBe('signalbox/step-runner:0.1.0');
  });

  it('keeps the image and service account given, and takes a token pasted with its Bearer prefix', () => {
    const c = checkArgoConfig({ ...base, token: 'Bearer abc.def', image: 'ghcr.io/acme/sql:1.2', service_account: 'signalbox-runner' });
    expect(c).toMatchObject({ token: 'abc.def', image: 'ghcr.io/acme/sql:1.2', service_account: 'signalbox-runner' });
  });

  it('accepts token_set shown back by the API and drops it', () => {
    expect(checkArgoConfig({ ...base, token_set: true })).not.toHaveProperty('token_set');
  });

  it.each([
    [{ ...base, base_url: undefined }, 'config.base_url: is required'],
    [{ ...base, base_url: 'ftp://argo' }, 'config.base_url: must be an http or https URL'],
    [{ ...base, base_url: 'argo.example.com' }, 'config.base_url: must be an absolute http or https URL'],
    [{ ...base, base_url: 'https://u:p@argo' }, 'config.base_url: must not hold credentials'],
    [{ ...base, base_url: 'https://argo?x=1' }, 'config.base_url: must not have a query'],
    [{ ...base, namespace: undefined }, 'config.namespace: is required'],
    [{ ...base, namespace: 'Data_Team' }, 'config.namespace: must be a DNS-1123 label'],
    [{ ...base, namespace: 'a'.repeat(64) }, 'config.namespace: must be a DNS-1123 label'],
    [{ ...base, token: undefined }, 'config.token: is required'],
    [{ ...base, token: '' }, 'config.token: is required'],
    [{ ...base, token: 'two words' }, 'config.token: must be a single token'],
    [{ ...base, token: 5 }, 'config.token: must be a string'],
    [{ ...base, image: 'bad image' }, 'config.image: must be a container image reference'],
    [{ ...base, service_account: 'Not_OK' }, 'config.service_account: must be a ServiceAccount name'],
    [{ ...base, warehouse_secret: undefined }, 'config.warehouse_secret: is required'],
    [{ ...base, warehouse_secret: 'warehouse' }, 'config.warehouse_secret: must be an object'],
    [{ ...base, warehouse_secret: { key: 'url' } }, 'config.warehouse_secret.name: is required'],
    [{ ...base, warehouse_secret: { name: 'Bad_Name', key: 'url' } }, 'config.warehouse_secret.name: must be a Secret name'],
    [{ ...base, warehouse_secret: { name: 'wh' } }, 'config.warehouse_secret.key: is required'],
    [{ ...base, warehouse_secret: { name: 'wh', key: 'a/b' } }, 'config.warehouse_secret.key: must be a Secret key'],
    [{ ...base, warehouse_secret: { name: 'wh', key: 'url', extra: 1 } }, 'config.warehouse_secret.extra: is not a field'],
    [{ ...base, password: 'x' }, 'config.password: is not a setting of an argo connector'],
  ])('refuses %j', (config, expected) => {
    expect(reason(config as Record<string, unknown>)).toContain(expected);
  });

  it('gives the typed camelCase view of a connector', () => {
    const connector = newConnector(
      { id: 'c1', spaceId: 's1', name: 'argo', type: 'argo', config: checkArgoConfig({ ...base, service_account: 'runner' }) },
      new Date('2026-01-01T00:00:00Z'),
    );
    expect(argoConfigOf(connector)).toEqual({
      baseUrl: 'https://argo.example.com:2746',
      namespace: 'data',
      token: 'tok',
      image: DEFAULT_IMAGE,
      serviceAccount: 'runner',
      warehouseSecret: { name: 'warehouse', key: 'url' },
    });
  });
});
